using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Contracts.Registry;
using Mlops.Registry.Domain;
using Mlops.Registry.Rollouts;
using Mlops.Testing;

namespace Mlops.Registry.Tests.Rollouts;

/// <summary>
/// Rollouts on the shipped registry against the real RabbitMQ (own virtual host) and PostgreSQL (saga state, durable
/// outbox, the model's event stream), timed by the shipped sweeper; the measurements come over HTTP from
/// <see cref="InferenceMetricsEndpoint"/>.
/// </summary>
public sealed class RolloutBrokerTests
{
    static async Task<(RegistryHost Host, InferenceMetricsEndpoint Metrics, string Model)> StartAsync(int port)
    {
        var model = Models.NewName();
        var metrics = await InferenceMetricsEndpoint.StartAsync(port, model, "1.1.0");
        var host = await RegistryHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Registry:Rollouts:InferenceAddresses:0"] = metrics.Address,
        });
        await Models.RegisterAsync(host, model, "1.0.0", Models.Metrics(0.80));
        await Models.RegisterAsync(host, model, "1.1.0", Models.Metrics(0.82));
        Assert.Equal(HttpStatusCode.OK, (await Models.PromoteAsync(host, model, "1.0.0")).StatusCode);
        return (host, metrics, model);
    }

    static async Task<Guid> StartRolloutAsync(RegistryHost host, string model, int[] steps)
    {
        var response = await host.Client.PostAsJsonAsync("/api/registry/rollouts", new
        {
            modelName = model, candidateVersion = "1.1.0", steps, analysisInterval = "00:00:01",
            thresholds = new { maxErrorRate = 0.05, maxP99LatencyMs = 500.0, minRequests = 50 },
            failureLimit = 0, consecutiveSuccesses = 1, requestedBy = "ops-alice",
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rolloutId").GetGuid();
    }

    static async Task<RolloutView> WaitForStateAsync(RegistryHost host, Guid id, string state)
    {
        RolloutView? view = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            var response = await host.Client.GetAsync($"/api/registry/rollouts/{id}");
            view = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<RolloutView>(Json.Options) : null;
            return view?.State == state;
        }, $"rollout {id} {state}", TimeSpan.FromSeconds(60));
        return view!;
    }

    static async Task<IReadOnlyList<string>> HistoryTypesAsync(RegistryHost host, string model)
    {
        var history = await host.GetAsync<JsonElement>($"/api/registry/models/{model}/history");
        return history.EnumerateArray().Select(e => e.GetProperty("type").GetString()!).ToList();
    }

    [Fact]
    public async Task Rollout_CandidateBreachesErrorRate_RolledBackAtFirstAnalysisWithEvidenceInHistory()
    {
        var (host, metrics, model) = await StartAsync(ServiceProcess.FreePort());
        await using var _ = host;
        await using var __ = metrics;
        metrics.ErrorShare = 0.25;

        var id = await StartRolloutAsync(host, model, [10, 50, 100]);

        var view = await WaitForStateAsync(host, id, nameof(RolloutStateMachine.RolledBack));
        var step = Assert.Single(view.StepHistory);
        Assert.Equal("failed", step.Outcome);
        var errorRate = Assert.Single(Assert.Single(step.Analyses).Measurements, m => m.Metric == "error-rate");
        Assert.Equal(RolloutVerdicts.Failed, errorRate.Verdict);
        Assert.Equal(0.25, errorRate.Value!.Value, 1e-9);
        Assert.Equal(0.05, errorRate.Threshold);
        Assert.Contains("error-rate 0.25 (limit 0.05)", view.Reason);

        // The challenger alias was taken by the registry's promotion path; the champion never changed.
        var state = await host.Registry.GetAsync(model);
        Assert.Equal("1.0.0", state!.VersionOf(ModelAliases.Champion));
        Assert.Equal("1.1.0", state.VersionOf(ModelAliases.Challenger));
        // The saga's history events are separate messages, recorded in the order they are consumed, not the order the
        // saga raised them: wait for all three rather than for the last one raised.
        string[] expected = ["mlops.registry.rollout-step-started.v1", "mlops.registry.rollout-step-analysed.v1", "mlops.registry.rollout-rolled-back.v1"];
        await Eventually.WaitUntilAsync(async () => expected.All((await HistoryTypesAsync(host, model)).Contains), "step started, step analysed and rollback in history", TimeSpan.FromSeconds(30));
        var types = await HistoryTypesAsync(host, model);
        Assert.Contains("mlops.registry.rollout-step-started.v1", types);
        Assert.Contains("mlops.registry.rollout-step-analysed.v1", types);
        var history = await host.GetAsync<JsonElement>($"/api/registry/models/{model}/history");
        var analysed = history.EnumerateArray().Single(e => e.GetProperty("type").GetString() == "mlops.registry.rollout-step-analysed.v1");
        Assert.Equal("rollout", analysed.GetProperty("actor").GetString());
        Assert.Contains(analysed.GetProperty("data").GetProperty("measurements").EnumerateArray(),
            m => m.GetProperty("metric").GetString() == "error-rate" && m.GetProperty("verdict").GetString() == RolloutVerdicts.Failed);
    }

    [Fact]
    public async Task Rollout_HealthyCandidate_AdvancesEveryStepAndBecomesChampion()
    {
        var (host, metrics, model) = await StartAsync(ServiceProcess.FreePort());
        await using var _ = host;
        await using var __ = metrics;

        var id = await StartRolloutAsync(host, model, [50, 100]);

        var view = await WaitForStateAsync(host, id, nameof(RolloutStateMachine.Promoted));
        Assert.Equal([50, 100], view.StepHistory.Select(s => s.TrafficPercent));
        Assert.All(view.StepHistory, s => Assert.All(s.Analyses.SelectMany(a => a.Measurements), m => Assert.Equal(RolloutVerdicts.Passed, m.Verdict)));
        Assert.Equal("1.1.0", (await host.Registry.GetAsync(model))!.VersionOf(ModelAliases.Champion));
        await Eventually.WaitUntilAsync(async () => (await HistoryTypesAsync(host, model)).Contains("mlops.registry.rollout-promoted.v1"), "promotion in history", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Rollout_AnalysingDivergence_MirrorsTheCandidateAsShadowUntilItEnds()
    {
        var (host, metrics, model) = await StartAsync(ServiceProcess.FreePort());
        await using var _ = host;
        await using var __ = metrics;

        var response = await host.Client.PostAsJsonAsync("/api/registry/rollouts", new
        {
            modelName = model, candidateVersion = "1.1.0", steps = new[] { 10, 100 }, analysisInterval = "00:10:00",
            thresholds = new { maxErrorRate = 0.05, maxDivergence = 0.1, minRequests = 50 }, requestedBy = "ops-alice",
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rolloutId").GetGuid();

        // The candidate serves the canary share and is mirrored the shipped share of the champion's requests.
        await WaitForStateAsync(host, id, nameof(RolloutStateMachine.Progressing));
        await Eventually.WaitUntilAsync(async () => (await host.Registry.GetAsync(model))!.ChallengerPercent == 10, "the first step's split", TimeSpan.FromSeconds(30));
        var during = (await host.Registry.GetAsync(model))!;
        Assert.Equal(("1.1.0", "1.1.0", "1.0.0"), (during.VersionOf(ModelAliases.Shadow), during.VersionOf(ModelAliases.Challenger), during.VersionOf(ModelAliases.Champion)));
        Assert.Equal(new RolloutOptions().DivergenceMirrorPercent, during.ShadowPercent);
        Assert.Contains(during.Deployment, r => r.Alias == ModelAliases.Shadow && r.Version == "1.1.0" && r.MirrorPercent == during.ShadowPercent);

        // Ending the rollout turns the mirror off with the canary share.
        var abort = await host.Client.PostAsJsonAsync($"/api/registry/rollouts/{id}/abort", new { by = "ops-alice", reason = "enough" });
        Assert.True(abort.IsSuccessStatusCode, await abort.Content.ReadAsStringAsync());
        await WaitForStateAsync(host, id, nameof(RolloutStateMachine.Aborted));
        await Eventually.WaitUntilAsync(async () => (await host.Registry.GetAsync(model))!.ShadowPercent == 0, "the mirror turned off", TimeSpan.FromSeconds(30));
        var after = (await host.Registry.GetAsync(model))!;
        Assert.Equal(0, after.ChallengerPercent ?? 0);
        Assert.DoesNotContain(after.Deployment, r => r.MirrorPercent > 0);
    }

    [Fact]
    public async Task Start_PolicyRefusesTheCandidate_409NamingTheAliasAndTheFailedCriterion()
    {
        var (host, metrics, model) = await StartAsync(ServiceProcess.FreePort());
        await using var _ = host;
        await using var __ = metrics;
        // Latency criteria apply to every alias, the challenger's too: no version answers within a microsecond.
        await Models.SetPolicyAsync(host, model, new PromotionPolicy { MaxP99LatencyMs = 0.001 });

        var response = await host.Client.PostAsJsonAsync("/api/registry/rollouts", new
        {
            modelName = model, candidateVersion = "1.1.0", steps = new[] { 10, 100 }, analysisInterval = "00:00:10",
            thresholds = new { maxErrorRate = 0.05 }, requestedBy = "ops-alice",
        });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("The candidate cannot become the challenger", problem.GetProperty("title").GetString());
        Assert.Contains("refused 1.1.0 as challenger", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("p99_latency_ms", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null((await host.Registry.GetAsync(model))!.VersionOf(ModelAliases.Challenger));
    }

    [Fact]
    public async Task Start_UnknownCandidateAndBadSteps_ProblemsNameTheFields()
    {
        var (host, metrics, model) = await StartAsync(ServiceProcess.FreePort());
        await using var _ = host;
        await using var __ = metrics;

        var bad = await host.Client.PostAsJsonAsync("/api/registry/rollouts", new
        {
            modelName = model, candidateVersion = "1.1.0", steps = new[] { 50, 10 }, analysisInterval = "00:00:01",
            thresholds = new { maxErrorRate = 0.05 }, requestedBy = "ops-alice",
        });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("\"steps\"", await bad.Content.ReadAsStringAsync());

        var unknown = await host.Client.PostAsJsonAsync("/api/registry/rollouts", new
        {
            modelName = model, candidateVersion = "9.9.9", steps = new[] { 10, 100 }, analysisInterval = "00:00:01",
            thresholds = new { maxErrorRate = 0.05 }, requestedBy = "ops-alice",
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.Contains("candidateVersion", await unknown.Content.ReadAsStringAsync());

        var missing = await host.Client.PostAsJsonAsync($"/api/registry/rollouts/{Guid.NewGuid()}/abort", new { by = "ops", reason = "x" });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
