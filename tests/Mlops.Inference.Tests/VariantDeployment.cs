using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Registry;
using Mlops.Testing;

namespace Mlops.Inference.Tests;

/// <summary>
/// Deploys the default model as champion (v1 test ensemble, version "1"), challenger (v2, "2") and shadow (v1 bytes,
/// "3") through the real RabbitMQ, with the artifacts served by the factory's stand-in registry. Pods run in a
/// RabbitMQ virtual host of their test, so the deployment of the shipped model name reaches no other pod.
/// </summary>
internal static class VariantDeployment
{
    public const string Model = "deterioration";

    /// <summary>A pod (the shipped configuration) on <paramref name="virtualHost"/>, with its own artifact cache.</summary>
    public static InferenceAppFactory Pod(RabbitMqVirtualHost virtualHost, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            [RabbitMqVirtualHost.ConfigurationKey] = virtualHost.Name,
            ["Inference:ArtifactCacheDirectory"] = Path.Combine(Path.GetTempPath(), "mlops-inference-tests", PlatformInfrastructure.UniqueName("variants")),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return new InferenceAppFactory(settings: all);
    }

    public static TrafficRoute[] Routes(int challengerPercent, bool shadow = true) =>
    [
        Route(ModelAliases.Champion, "1", Models.V1, 100 - challengerPercent),
        Route(ModelAliases.Challenger, "2", Models.V2, challengerPercent),
        .. shadow ? new[] { Route(ModelAliases.Shadow, "3", Models.V1, 0) with { MirrorPercent = 100 } } : [],
    ];

    public static string ModelOf(string version) => version == "2" ? Models.V2 : Models.V1;

    /// <summary>Publishes the deployment and waits until this pod serves exactly its routes' variants.</summary>
    public static async Task DeployAsync(InferenceAppFactory factory, HttpClient client, long revision, TrafficRoute[] routes, IReadOnlyCollection<string>? expected = null)
    {
        foreach (var model in new[] { Models.V1, Models.V2 })
        {
            factory.Upstream.Serve(Models.Sha256Of(model), await File.ReadAllBytesAsync(Models.PathOf(model)));
        }

        var bus = factory.Services.GetRequiredService<IBusControl>();
        await Eventually.WaitUntilAsync(() => bus.CheckHealth().Status == BusHealthStatus.Healthy, "the bus and the deployment endpoint are up");
        await factory.Services.GetRequiredService<IBus>().Publish(new DeploymentChanged { ModelName = Model, Routes = routes, Revision = revision });
        var wanted = (expected ?? routes.Select(r => r.Alias).ToList()).Order(StringComparer.Ordinal).ToList();
        await Eventually.WaitUntilAsync(async () =>
        {
            var status = await client.GetFromJsonAsync<JsonElement>($"/api/inference/models/{Model}");
            var serving = status.GetProperty("variants").EnumerateArray()
                .Where(v => v.GetProperty("state").GetString() == "Serving")
                .Select(v => (Variant: v.GetProperty("variant").GetString()!, Version: v.GetProperty("modelVersion").GetString()))
                .ToList();
            return serving.Select(s => s.Variant).Order(StringComparer.Ordinal).SequenceEqual(wanted)
                && serving.All(s => routes.Any(r => r.Alias == s.Variant && r.Version == s.Version));
        }, $"variants {string.Join(", ", wanted)} of revision {revision} serve");
    }

    static TrafficRoute Route(string alias, string version, string model, int percent) =>
        new() { Alias = alias, Version = version, ArtifactSha256 = Models.Sha256Of(model), TrafficPercent = percent };
}
