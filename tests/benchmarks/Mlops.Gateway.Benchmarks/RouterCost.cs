using System.Diagnostics;
using System.Text;
using Mlops.Contracts.Registry;
using Mlops.Gateway.Routing;

namespace Mlops.Gateway.Benchmarks;

/// <summary>
/// The router's own work per request, in process and single-threaded (no network, so the machine's load disturbs it
/// least): path parse, entity read from the JSON body, the stable-hash decision and the mirror check.
/// </summary>
internal static class RouterCost
{
    public static double MicrosecondsPerRequest(int requests)
    {
        var table = new DeploymentTable();
        table.Apply("deterioration", 1, [
            new TrafficRoute { Alias = ModelAliases.Champion, Version = "1", ArtifactSha256 = "a", TrafficPercent = 90 },
            new TrafficRoute { Alias = ModelAliases.Challenger, Version = "2", ArtifactSha256 = "a", TrafficPercent = 10 },
            new TrafficRoute { Alias = ModelAliases.Shadow, Version = "3", ArtifactSha256 = "a", TrafficPercent = 0, MirrorPercent = 100 },
        ]);
        var bodies = Enumerable.Range(0, 1024).Select(i => Encoding.UTF8.GetBytes(
            $$$"""{"entityId":"patient-{{{i}}}","features":{"heart_rate":88.5,"respiratory_rate":21.3,"spo2":93.1,"temperature":38.2,"systolic_bp":101.7}}""")).ToArray();
        var mirrored = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < requests; i++)
        {
            var request = InferenceRequest.TryParse("POST", "/api/inference/predict", "deterioration")!;
            var entity = EntityIdReader.Read(bodies[i & 1023], request.Protocol);
            mirrored += VariantRouter.Decide(request.ModelName, table.Find(request.ModelName), entity, null).Mirror is null ? 0 : 1;
        }

        return mirrored == requests ? clock.Elapsed.TotalMicroseconds / requests : throw new InvalidOperationException("every request should have been mirrored");
    }
}
