using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Mlops.Contracts.Registry;
using Mlops.Gateway.Benchmarks;
using Mlops.Testing;

// Gateway vs direct, side by side in one run: the inference service (its own process, the v1 ensemble) driven
// directly and through three gateway processes, each reading its own registry stand-in: the variant router off (no
// deployment known: nothing read), on (champion 90 / challenger 10: body buffered, entity hashed, X-Model-Variant
// set) and on with 100 % shadow (every request also mirrored to the shadow variant, on the same pod), at 1, 16 and 64
// concurrent clients. The paths are interleaved over several rounds and each figure is the median over the rounds, so
// a burst of load from elsewhere on the machine does not land on one path only.
// Usage: [seconds per scenario, default 1] [rounds, default 5]
var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
var duration = TimeSpan.FromSeconds(seconds);
int[] clientCounts = [1, 16, 64];
var modelPath = Path.Combine(AppContext.BaseDirectory, "models", "deterioration_ensemble_v1.onnx");
// Every gateway route needs a key: the platform's bootstrap key (env file), which the gateways register at start.
var apiKey = PlatformInfrastructure.Configuration["MLOPS_API_KEY"] is { Length: > 0 } key
    ? key
    : throw new InvalidOperationException("MLOPS_API_KEY is not in the platform env file; run infra/local/infra.sh up");
Console.WriteLine($"{Environment.ProcessorCount} cores, {seconds} s per scenario (after 1 s warm-up), median of {rounds} interleaved rounds");

RouterCost.MicrosecondsPerRequest(50_000);
Console.WriteLine(FormattableString.Invariant($"router's own work (parse path, read entity from the body, decide, mirror check): {RouterCost.MicrosecondsPerRequest(500_000):F2} µs per request"));

await using var vhost = await RabbitMqVirtualHost.CreateAsync("gateway-bench");
await using var inference = ServiceProcess.Start("services/inference/Mlops.Inference", InferenceEnvironment(modelPath));
await WaitUntilAsync(inference, "/api/inference/model", body => body.Contains("\"Serving\"", StringComparison.Ordinal), "the inference service serves its model");

var champion = new TrafficRoute { Alias = ModelAliases.Champion, Version = "1", ArtifactSha256 = Sha256(modelPath), TrafficPercent = 90 };
// A version per variant, as a rollout has them: the gateway never mirrors a request to the version that answered it, so
// a shadow of the serving version would mirror nothing (all three are the same artifact, served once per variant).
var challenger = champion with { Alias = ModelAliases.Challenger, Version = "2", TrafficPercent = 10 };
var shadow = champion with { Alias = ModelAliases.Shadow, Version = "3", TrafficPercent = 0, MirrorPercent = 100 };
const string Off = "gateway, router off";
const string On = "gateway, router on";
const string Shadowed = "gateway, router + 100% shadow";
var targets = new List<(string Path, Uri BaseAddress)> { ("direct", inference.BaseAddress) };
var disposables = new List<IAsyncDisposable>();
foreach (var (path, routes) in new (string, TrafficRoute[])[] { (Off, []), (On, [champion, challenger]), (Shadowed, [champion, challenger, shadow]) })
{
    var registry = await RegistryStandIn.StartAsync(ServiceProcess.FreePort());
    registry.Routes = routes;
    var gateway = ServiceProcess.Start("gateway/Mlops.Gateway", new Dictionary<string, string>
    {
        ["Logging__LogLevel__Default"] = "Warning",
        ["ReverseProxy__Clusters__inference__Destinations__primary__Address"] = inference.BaseAddress.ToString(),
        ["Gateway__Variants__RegistryBaseAddress"] = registry.BaseAddress.ToString(),
        // The per-key token bucket (1,000 requests/s as shipped) would cap the load of one key: raised here, because
        // this measures the proxy (key check included), not the limiter.
        ["Security__RateLimit__TokenLimit"] = "10000000",
        ["Security__RateLimit__TokensPerPeriod"] = "10000000",
        [RabbitMqVirtualHost.EnvironmentVariable] = vhost.Name,
    });
    disposables.Add(gateway);
    disposables.Add(registry);
    await WaitUntilAsync(gateway, "/health/ready", body => body.Contains("\"registry-deployments\":{\"status\":\"Healthy\"", StringComparison.Ordinal), "the gateway read the deployments");
    targets.Add((path, gateway.BaseAddress));
}

var runs = new List<Measurement>();
for (var round = 0; round < rounds; round++)
{
    foreach (var clients in clientCounts)
    {
        foreach (var (path, baseAddress) in targets)
        {
            using var load = new Load(baseAddress, apiKey);
            runs.Add(await load.RunAsync(path, clients, duration));
            if (path == Shadowed)
            {
                // The next path must not share the pod with this one's mirrors still in flight.
                await WaitForAsync(baseAddress, "/api/gateway/shadow/deterioration", Settled, "the mirrors were settled", () => null, apiKey);
            }
        }
    }
}

var shadowed = targets.Single(t => t.Path == Shadowed).BaseAddress;
using (var http = new HttpClient { BaseAddress = shadowed })
{
    http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
    var report = await http.GetFromJsonAsync<JsonElement>("/api/gateway/shadow/deterioration");
    var compared = report.GetProperty("pairs").EnumerateArray().Sum(p => p.GetProperty("requests").GetInt64());
    Console.WriteLine($"shadow, all rounds: queued {report.GetProperty("queued")}, dropped {report.GetProperty("dropped")}, failed {report.GetProperty("failed")}, compared {compared}");
}

foreach (var disposable in disposables)
{
    await disposable.DisposeAsync();
}

var results = runs.GroupBy(r => (r.Path, r.Clients)).Select(g => new Measurement(
    g.Key.Path, g.Key.Clients, Median(g.Select(r => r.RequestsPerSecond)), Median(g.Select(r => r.P50Ms)), Median(g.Select(r => r.P99Ms)))).ToList();
Console.WriteLine();
Console.WriteLine($"{"path",-32} {"clients",7} {"req/s",10} {"p50 ms",9} {"p99 ms",9} {"p50 ×direct",12} {"p50 +ms",9} {"thr ×direct",12}");
foreach (var r in results.OrderBy(r => targets.FindIndex(t => t.Path == r.Path)).ThenBy(r => r.Clients))
{
    var baseline = results.Single(b => b.Path == "direct" && b.Clients == r.Clients);
    Console.WriteLine(FormattableString.Invariant(
        $"{r.Path,-32} {r.Clients,7} {r.RequestsPerSecond,10:F0} {r.P50Ms,9:F3} {r.P99Ms,9:F3} {r.P50Ms / baseline.P50Ms,12:F2} {r.P50Ms - baseline.P50Ms,9:F3} {r.RequestsPerSecond / baseline.RequestsPerSecond,12:F2}"));
}

Console.WriteLine();
foreach (var clients in clientCounts)
{
    var on = results.Single(r => r.Path == On && r.Clients == clients);
    var mirrored = results.Single(r => r.Path == Shadowed && r.Clients == clients);
    Console.WriteLine(FormattableString.Invariant($"{clients,3} clients: 100% shadow adds {mirrored.P99Ms - on.P99Ms:F3} ms to the primary's p99 ({mirrored.P50Ms - on.P50Ms:F3} ms to p50)"));
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static bool Settled(string reportJson)
{
    var report = JsonDocument.Parse(reportJson).RootElement;
    var settled = report.GetProperty("pairs").EnumerateArray().Sum(p => p.GetProperty("requests").GetInt64())
        + report.GetProperty("failed").GetInt64() + report.GetProperty("uncomparable").GetInt64();
    return settled == report.GetProperty("queued").GetInt64();
}

static Dictionary<string, string> InferenceEnvironment(string modelPath)
{
    // The model under test is a local artifact; registry and features point where nothing listens, so no deployment
    // or cache warm-up from a running platform interferes (as in the inference benchmark).
    var nowhere = $"http://127.0.0.1:{ServiceProcess.FreePort()}/";
    var environment = new Dictionary<string, string>
    {
        ["Logging__LogLevel__Default"] = "Warning",
        ["Inference__Streaming__Enabled"] = "false",
        ["OnnxRuntime__IntraOpNumThreads"] = "1",
        ["Inference__RegistryBaseAddress"] = nowhere,
        ["Inference__FeaturesBaseAddress"] = nowhere,
    };
    // The artifact as each variant the gateway routes to, so the challenger's share and every mirror are scored.
    string[] variants = [ModelAliases.Champion, ModelAliases.Challenger, ModelAliases.Shadow];
    string[] features = ["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp"];
    for (var v = 0; v < variants.Length; v++)
    {
        environment[$"Inference__LocalModels__{v}__Name"] = "deterioration";
        environment[$"Inference__LocalModels__{v}__Version"] = (v + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment[$"Inference__LocalModels__{v}__Variant"] = variants[v];
        environment[$"Inference__LocalModels__{v}__Path"] = modelPath;
        environment[$"Inference__LocalModels__{v}__Sha256"] = Sha256(modelPath);
        for (var i = 0; i < features.Length; i++)
        {
            environment[$"Inference__LocalModels__{v}__Features__{i}"] = features[i];
        }
    }

    return environment;
}

static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

static async Task WaitUntilAsync(ServiceProcess service, string path, Func<string, bool> condition, string what) =>
    await WaitForAsync(service.BaseAddress, path, condition, what, () => service.HasExited ? service.RecentOutput : null);

static async Task WaitForAsync(Uri baseAddress, string path, Func<string, bool> condition, string what, Func<string?> exited, string? apiKey = null)
{
    using var http = new HttpClient { BaseAddress = baseAddress };
    if (apiKey is not null)
    {
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
    }

    await Eventually.WaitUntilAsync(async () =>
    {
        if (exited() is { } output)
        {
            throw new InvalidOperationException($"{what}: the process exited\n{output}");
        }

        try
        {
            return condition(await http.GetStringAsync(path));
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }, what);
}
