using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Mlops.Contracts.Registry;
using Mlops.Monitoring.Tests.Windows;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests.Rollouts;

/// <summary>
/// A canary rollout on the real registry gated on monitoring's real answer: two versions registered in the registry
/// (monitoring copies each one's training profile from the registration), the first champion, a rollout of the second
/// with <c>maxDriftShare</c> and <c>maxErrorRate</c> (healthy, from the metrics stand-in); the candidate's and the
/// champion's predictions reach monitoring on its predictions topic as inference publishes them (variant, version,
/// feature event), monitoring judges a count window of each (the shipped 2,000), and the registry's analysis reads
/// the candidate's drifted share from <c>GET /api/monitoring/models/{model}/variants</c>.
/// </summary>
public sealed class DriftGatedRolloutTests(RegistryWithMonitoring services) : IClassFixture<RegistryWithMonitoring>
{
    const string Champion = "1.0.0";
    const string Candidate = "1.1.0";
    const int WindowSize = 2000;
    const double MaxDriftShare = 0.25;

    // Long enough for both windows to be produced and judged before the first analysis (an analysis without the
    // candidate's window is inconclusive and pauses the rollout), short enough for the test.
    static readonly TimeSpan AnalysisInterval = TimeSpan.FromSeconds(25);

    [Fact]
    public async Task Rollout_CandidatesFeaturesDrifted_RolledBackAtTheFirstAnalysisWithTheDriftShareInItsHistory()
    {
        var model = PlatformInfrastructure.UniqueName("gated-drift");
        using var registry = new HttpClient { BaseAddress = services.Registry.BaseAddress };
        await RegisterChampionAndCandidateAsync(registry, model);

        var id = await StartRolloutAsync(registry, model, [50, 100]);
        // The champion's vitals as in training; the candidate's entities with four vitals shifted (4 of 5 features; the prediction is no feature of the share).
        await Task.WhenAll(
            DriftMonitoringTests.ProduceAsync(services.Monitoring, new Random(41), model, Champion, WindowSize, DateTimeOffset.UtcNow, 0, 0, ModelAliases.Champion),
            DriftMonitoringTests.ProduceAsync(services.Monitoring, new Random(43), model, Candidate, WindowSize, DateTimeOffset.UtcNow, 15, 1.5, ModelAliases.Challenger));
        var window = await CandidateWindowAsync(model);
        Assert.Equal(4, window.GetProperty("driftedFeatures").GetInt32());

        var rollout = await WaitUntilSettledAsync(registry, id);

        Assert.True(rollout.GetProperty("state").GetString() == "RolledBack", $"the rollout is {rollout.GetProperty("state")}: {rollout.GetProperty("reason")}");
        var step = Assert.Single(rollout.GetProperty("stepHistory").EnumerateArray());
        Assert.Equal((50, "failed"), (step.GetProperty("trafficPercent").GetInt32(), step.GetProperty("outcome").GetString()));
        var measurements = Measurements(Assert.Single(step.GetProperty("analyses").EnumerateArray()));
        var drift = measurements["drift-share"];
        Assert.Equal(RolloutVerdicts.Failed, drift.GetProperty("verdict").GetString());
        Assert.Equal(4.0 / 5, drift.GetProperty("value").GetDouble(), 1e-12);
        Assert.Equal(MaxDriftShare, drift.GetProperty("threshold").GetDouble());
        Assert.Contains($"4 of 5 features drifted in window {window.GetProperty("windowId").GetInt64()} of challenger {Candidate}", drift.GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.Equal(RolloutVerdicts.Passed, measurements["error-rate"].GetProperty("verdict").GetString());
        Assert.Contains("drift-share", rollout.GetProperty("reason").GetString(), StringComparison.Ordinal);

        // The model's history carries the measurement and the rollback; the champion never changed.
        var history = new List<JsonElement>();
        await Eventually.WaitUntilAsync(async () =>
        {
            history = (await registry.GetFromJsonAsync<JsonElement>($"api/registry/models/{model}/history")).EnumerateArray().ToList();
            return history.Any(e => e.GetProperty("type").GetString() == "mlops.registry.rollout-rolled-back.v1")
                && history.Any(e => e.GetProperty("type").GetString() == "mlops.registry.rollout-step-analysed.v1");
        }, "the analysis and the rollback in the model's history", TimeSpan.FromSeconds(30));
        var analysed = history.Single(e => e.GetProperty("type").GetString() == "mlops.registry.rollout-step-analysed.v1").GetProperty("data");
        var recorded = analysed.GetProperty("measurements").EnumerateArray().Single(m => m.GetProperty("metric").GetString() == "drift-share");
        Assert.Equal((RolloutVerdicts.Failed, 4.0 / 5, MaxDriftShare), (recorded.GetProperty("verdict").GetString(), recorded.GetProperty("value").GetDouble(), recorded.GetProperty("threshold").GetDouble()));
        Assert.Equal(drift.GetProperty("evidence").GetString(), recorded.GetProperty("evidence").GetString());
        Assert.Equal(Champion, await AliasAsync(registry, model, ModelAliases.Champion));
    }

    [Fact]
    public async Task Rollout_CandidatesFeaturesUndriftedButTheChampionsDrifted_DriftSharePassesAndTheCandidateIsPromoted()
    {
        var model = PlatformInfrastructure.UniqueName("gated-clean");
        using var registry = new HttpClient { BaseAddress = services.Registry.BaseAddress };
        await RegisterChampionAndCandidateAsync(registry, model);

        var id = await StartRolloutAsync(registry, model, [50, 100]);
        // The other way round: the champion's window drifts, the candidate's does not — the gate reads the candidate's.
        await Task.WhenAll(
            DriftMonitoringTests.ProduceAsync(services.Monitoring, new Random(47), model, Champion, WindowSize, DateTimeOffset.UtcNow, 15, 1.5, ModelAliases.Champion),
            DriftMonitoringTests.ProduceAsync(services.Monitoring, new Random(53), model, Candidate, WindowSize, DateTimeOffset.UtcNow, 0, 0, ModelAliases.Challenger));
        var window = await CandidateWindowAsync(model);
        Assert.Equal(0, window.GetProperty("driftedFeatures").GetInt32());

        var rollout = await WaitUntilSettledAsync(registry, id);

        Assert.True(rollout.GetProperty("state").GetString() == "Promoted", $"the rollout is {rollout.GetProperty("state")}: {rollout.GetProperty("reason")}");
        var steps = rollout.GetProperty("stepHistory").EnumerateArray().ToList();
        Assert.Equal([50, 100], steps.Select(s => s.GetProperty("trafficPercent").GetInt32()));
        foreach (var analysis in steps.SelectMany(s => s.GetProperty("analyses").EnumerateArray()))
        {
            var drift = Measurements(analysis)["drift-share"];
            Assert.Equal((RolloutVerdicts.Passed, 0.0), (drift.GetProperty("verdict").GetString(), drift.GetProperty("value").GetDouble()));
            Assert.Contains($"0 of 5 features drifted in window {window.GetProperty("windowId").GetInt64()} of challenger {Candidate}", drift.GetProperty("evidence").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(Candidate, await AliasAsync(registry, model, ModelAliases.Champion));
    }

    /// <summary>
    /// Both versions registered in the registry as training registers them, each with a training run whose profile the
    /// training stand-in serves; monitoring stores both profiles from the registrations; the first becomes champion.
    /// </summary>
    async Task RegisterChampionAndCandidateAsync(HttpClient registry, string model)
    {
        var random = new Random(37);
        foreach (var version in new[] { Champion, Candidate })
        {
            var runId = Guid.NewGuid();
            services.Monitoring.Training.Put(runId, DriftMonitoringTests.Profile(random, runId));
            using var artifact = await registry.PostAsync("api/registry/artifacts", new ByteArrayContent(Encoding.UTF8.GetBytes($"onnx bytes of {model} {version}")));
            Assert.Equal(HttpStatusCode.Created, artifact.StatusCode);
            var sha = (await artifact.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sha256").GetString()!;
            var registration = DriftMonitoringTests.Registration(runId, model, version);
            using var registered = await registry.PostAsJsonAsync($"api/registry/models/{model}/versions", new
            {
                version, artifactSha256 = sha, registration.Signature, Metrics = Metrics(), registration.DatasetVersion, registration.FeatureSetVersion,
                registration.TrainingRunId, registration.CodeVersion, registration.RegisteredBy,
                intendedUse = "Rollout gate tests.", limitations = "Synthetic data.",
            });
            Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
            services.Inference.Serve(model, version);
        }

        using var monitoring = services.Monitoring.CreateClient();
        await Eventually.WaitUntilAsync(async () =>
            (await monitoring.GetAsync($"/api/monitoring/models/{model}/versions/{Champion}/profile")).StatusCode == HttpStatusCode.OK
            && (await monitoring.GetAsync($"/api/monitoring/models/{model}/versions/{Candidate}/profile")).StatusCode == HttpStatusCode.OK,
            "monitoring stored both versions' profiles from the registry's registrations");
        using var promoted = await registry.PostAsJsonAsync($"api/registry/models/{model}/promotions",
            new { version = Champion, alias = ModelAliases.Champion, requestedBy = "ops-alice", reason = "baseline" });
        Assert.True(promoted.StatusCode == HttpStatusCode.OK, await promoted.Content.ReadAsStringAsync());
    }

    /// <summary>Starts the rollout and returns once the registry has recorded its start (the period monitoring is asked about begins there).</summary>
    static async Task<Guid> StartRolloutAsync(HttpClient registry, string model, int[] steps)
    {
        using var response = await registry.PostAsJsonAsync("api/registry/rollouts", new
        {
            modelName = model, candidateVersion = Candidate, steps, analysisInterval = AnalysisInterval.ToString("c"),
            thresholds = new { maxErrorRate = 0.01, maxDriftShare = MaxDriftShare, minRequests = 50 },
            failureLimit = 0, consecutiveSuccesses = 1, requestedBy = "ops-alice",
        });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rolloutId").GetGuid();
        await Eventually.WaitUntilAsync(async () => (await registry.GetAsync($"api/registry/rollouts/{id}")).IsSuccessStatusCode, $"rollout {id} started");
        return id;
    }

    /// <summary>The candidate's count window as monitoring judged it (one of 2,000 predictions of challenger 1.1.0).</summary>
    async Task<JsonElement> CandidateWindowAsync(string model)
    {
        using var monitoring = services.Monitoring.CreateClient();
        var windows = new List<JsonElement>();
        await Eventually.WaitUntilAsync(async () =>
        {
            windows = (await monitoring.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/drift?version={Candidate}&variant=challenger&kind=count"))
                .EnumerateArray().ToList();
            return windows.Count > 0;
        }, "the candidate's count window was judged", AnalysisInterval);
        var window = Assert.Single(windows);
        Assert.Equal((WindowSize, 5), (window.GetProperty("samples").GetInt32(), window.GetProperty("evaluatedFeatures").GetInt32()));
        return window;
    }

    static async Task<JsonElement> WaitUntilSettledAsync(HttpClient registry, Guid id)
    {
        var rollout = default(JsonElement);
        await Eventually.WaitUntilAsync(async () =>
        {
            rollout = await registry.GetFromJsonAsync<JsonElement>($"api/registry/rollouts/{id}");
            return rollout.GetProperty("state").GetString() is "Promoted" or "RolledBack" or "Aborted" or "Paused";
        }, $"rollout {id} settles", TimeSpan.FromSeconds(90));
        return rollout;
    }

    static Dictionary<string, JsonElement> Measurements(JsonElement analysis) =>
        analysis.GetProperty("measurements").EnumerateArray().ToDictionary(m => m.GetProperty("metric").GetString()!);

    static async Task<string?> AliasAsync(HttpClient registry, string model, string alias) =>
        (await registry.GetFromJsonAsync<JsonElement>($"api/registry/models/{model}")).GetProperty("aliases").TryGetProperty(alias, out var version) ? version.GetString() : null;

    // What the shipped promotion policy asks of a version (latency, leakage check, subgroups), as training reports it.
    static ModelMetrics Metrics() => new()
    {
        Overall = new Dictionary<string, double> { ["auroc"] = 0.8, ["brier"] = 0.11, ["ece"] = 0.02, ["p99_latency_ms"] = 40 },
        Subgroups = new Dictionary<string, IReadOnlyDictionary<string, double>>
        {
            ["age:18-64"] = new Dictionary<string, double> { ["auroc"] = 0.805 },
            ["age:65+"] = new Dictionary<string, double> { ["auroc"] = 0.795 },
        },
        Checks = new Dictionary<string, bool> { ["leakage"] = true },
    };
}
