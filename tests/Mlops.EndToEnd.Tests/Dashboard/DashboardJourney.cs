using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Mlops.Contracts.Kafka;
using Mlops.Kafka;
using Mlops.Cli.Core.Gateway;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Dashboard;

/// <summary>
/// The operations dashboard on a journey's real data (the canary journey calls it once its rollout has promoted and
/// the shadow is compared): every page renders what the services hold, with a screenshot each, and the figures it
/// shows are those of the APIs it reads (DashboardJourney.Figures.cs); a viewer key sees no action and is refused
/// (403) when it calls one anyway; an operator approves a paused rollout and aborts it, and promotes another now, from
/// the browser, and the rollout saga records each.
/// </summary>
public static partial class DashboardJourney
{
    public sealed record Data(string Model, string OldVersion, string NewVersion, Guid PromotedRollout);

    public static async Task RunAsync(Uri gateway, GatewayClient admin, Data data, Action<string> log)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var operatorName = $"e2e-dashboard-operator-{run}";
        var operatorKey = await CreateKeyAsync(admin, operatorName, "operate");
        var viewerKey = await CreateKeyAsync(admin, $"e2e-dashboard-viewer-{run}", "predict");
        var model = await admin.GetModelAsync(data.Model, CancellationToken.None);
        var trainingRun = model!["versions"]![data.NewVersion]!["registration"]!["trainingRunId"]!.GetValue<string>();
        var datasetVersion = model["versions"]![data.NewVersion]!["registration"]!["datasetVersion"]!.GetValue<string>();
        var championRun = model["versions"]![data.OldVersion]!["registration"]!["trainingRunId"]!.GetValue<string>();
        var (experiment, experimentId) = await StartExperimentAsync(admin, data.Model, $"e2e-dashboard-ab-{run}");

        await using var browser = await DashboardBrowser.LaunchAsync(gateway);
        var ops = await browser.SignInAsync(operatorKey);
        // Signed in from the start: each page with an action is also seen by the viewer while that action is possible,
        // so a missing button is the role's doing, not the state's.
        var viewer = await browser.SignInAsync(viewerKey);

        var watch = Stopwatch.StartNew();
        var servicesBefore = await DashboardServicesAsync(admin);
        var overview = await browser.ShowAsync(ops, "overview", "1-overview");
        foreach (var service in new[] { "ingestion", "features", "training", "registry", "inference", "monitoring" })
        {
            Assert.Contains(service, overview, StringComparison.Ordinal);
        }

        Assert.Equal(6, await ops.Locator("[data-testid=services-table] .pill.Healthy").CountAsync());
        await AssertServiceFiguresAsync(ops, admin, servicesBefore);
        var alertsShown = await AssertOverviewAlertsAsync(ops, admin);
        var breachesShown = await AssertOpenBreachesAsync(ops, admin, data.Model);
        await NoErrorsAsync(ops, "overview");
        log($"dashboard: overview figures, {alertsShown} alerts and {breachesShown} firing SLO rules as the APIs have them ({watch.Elapsed.TotalSeconds:0.0} s)");

        var rollouts = await browser.ShowAsync(ops, $"rollouts/{data.PromotedRollout}", "2-rollouts");
        Assert.Contains(data.Model, rollouts, StringComparison.Ordinal);
        Assert.Contains("Promoted", rollouts, StringComparison.Ordinal);
        var measurements = await ops.Locator("[data-testid=measurements]").InnerTextAsync();
        Assert.Contains("error-rate", measurements, StringComparison.Ordinal);
        Assert.Contains("p99-latency-ms", measurements, StringComparison.Ordinal);
        Assert.True(await ops.Locator("[data-testid=rollout-detail] canvas").CountAsync() >= 2, "a chart per measured metric against its threshold");
        // What each measurement chart plots is what the registry's saga recorded: every analysis' value and threshold of
        // that metric, in order, at the analysis' time.
        var promoted = await GetAsync(admin, data.PromotedRollout);
        var recorded = promoted["stepHistory"]!.AsArray().SelectMany(s => s!["analyses"]?.AsArray() ?? [])
            .SelectMany(a => (a!["measurements"]?.AsArray() ?? []).Select(m => (At: a["measuredAt"]!.GetValue<DateTimeOffset>(), Measurement: m!)))
            .GroupBy(x => x.Measurement["metric"]!.GetValue<string>()).ToList();
        Assert.Contains(recorded, g => g.Key == "error-rate");
        Assert.Equal(recorded.Count, await ops.Locator("[data-testid=measurement-charts] .chart[data-series]").CountAsync());
        foreach (var metric in recorded)
        {
            var chart = await ChartAsync(ops.Locator($"[data-testid=measurement-charts] .chart[data-chart='{metric.Key}']"));
            AssertSeries(metric.Select(x => (double?)x.At.ToUnixTimeSeconds()), chart.X, $"{metric.Key}: analysis times");
            AssertSeries(metric.Select(x => x.Measurement["value"]?.GetValue<double>()), chart.Series["measured"], $"{metric.Key}: measured");
            AssertSeries(metric.Select(x => (double?)x.Measurement["threshold"]!.GetValue<double>()), chart.Series["threshold"], $"{metric.Key}: threshold");
        }

        Assert.Contains(data.OldVersion, await ops.Locator("[data-testid=shadow]").InnerTextAsync(), StringComparison.Ordinal);
        // The A/B test's always-valid p-value at each of its three looks, from the gateway's stored looks.
        var ab = ops.Locator($"[data-experiment='{experiment}']");
        Assert.Contains("over 3 looks", await ab.Locator("[data-testid=p-value-chart]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await ab.Locator("[data-testid=p-value-chart] canvas").CountAsync());
        // Its lines are the gateway's stored looks: per look the treatment's always-valid p-value (running minimum) and
        // that look's own value, at the look's time, and α from the experiment.
        var looks = (await admin.SendAsync(HttpMethod.Get, $"api/gateway/experiments/{experimentId}/looks", null, null, CancellationToken.None))!.AsArray();
        Assert.Equal(3, looks.Count);
        var alpha = (await admin.SendAsync(HttpMethod.Get, "api/gateway/experiments", null, null, CancellationToken.None))!.AsArray()
            .Single(e => e!["name"]!.GetValue<string>() == experiment)!["alpha"]!.GetValue<double>();
        var pChart = await ChartAsync(ab.Locator("[data-testid=p-value-chart] .chart"));
        var treatment = looks.Select(l => l!["arms"]!.AsArray().Single(a => a!["name"]!.GetValue<string>() == "treatment")!).ToList();
        AssertSeries(looks.Select(l => (double?)l!["at"]!.GetValue<DateTimeOffset>().ToUnixTimeMilliseconds() / 1000), pChart.X, "p-value chart: look times");
        AssertSeries(treatment.Select(a => (double?)a["minPValue"]!.GetValue<double>()), pChart.Series["treatment (always-valid)"], "always-valid p-value");
        AssertSeries(treatment.Select(a => a["pValue"]?.GetValue<double>()), pChart.Series["treatment (this look)"], "each look's p-value");
        AssertSeries(looks.Select(_ => (double?)alpha), pChart.Series.Single(s => s.Key.StartsWith("α = ", StringComparison.Ordinal)).Value, "α");
        await ab.ScrollIntoViewIfNeededAsync();
        await ab.ScreenshotAsync(new() { Path = Path.Combine(DashboardBrowser.ScreenshotDirectory, "2b-rollouts-ab-p-value.png") });
        // The viewer sees the same running experiment without its Stop button (the operator's card has one), and the
        // gateway refuses the stop when the viewer's page calls it anyway: the experiment keeps counting.
        Assert.Equal(1, await ab.Locator("[data-action=stop-experiment]").CountAsync());
        await browser.ShowAsync(viewer, $"rollouts/{data.PromotedRollout}", "2c-rollouts-viewer");
        var viewerAb = viewer.Locator($"[data-experiment='{experiment}']");
        Assert.Contains("over 3 looks", await viewerAb.Locator("[data-testid=p-value-chart]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await viewerAb.Locator("[data-action=stop-experiment]").CountAsync());
        Assert.Equal(0, await viewer.Locator("main button").CountAsync());
        var stopRefused = await PostFromPageAsync(viewer, $"/api/gateway/experiments/{experimentId}/stop", new { reason = "a viewer tries" });
        Assert.Equal((403, "Role required"), (stopRefused.Status, stopRefused.Title));
        Assert.Null(await ExperimentStoppedAsync(admin, experiment));
        await NoErrorsAsync(viewer, "rollouts (viewer)");
        // Its decision reached, the operator stops it from the page: the gateway records the stop with the key's name.
        await ab.Locator("[data-action=stop-experiment]").ClickAsync();
        await ab.GetByTestId("experiment-stop-message").Filter(new() { HasText = "stopped" }).WaitForAsync(new() { Timeout = 30_000 });
        var stopped = await ExperimentStoppedAsync(admin, experiment);
        Assert.StartsWith("decision reached", stopped!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        await NoErrorsAsync(ops, "rollouts");

        var models = await browser.ShowAsync(ops, $"models/{data.Model}", "3-models");
        var versions = await ops.Locator("[data-testid=versions]").InnerTextAsync();
        Assert.Contains(data.OldVersion, versions, StringComparison.Ordinal);
        Assert.Contains(data.NewVersion, versions, StringComparison.Ordinal);
        Assert.Contains("champion", models, StringComparison.Ordinal);
        Assert.Contains(datasetVersion, await ops.Locator("[data-testid=lineage]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await ops.Locator("[data-testid=timeline] tbody tr").CountAsync() > 0, "the registry timeline lists the model's events");
        await NoErrorsAsync(ops, "models");
        watch.Restart();
        await AssertModelsPageAsync(ops, admin, data, promoted);
        await NoErrorsAsync(ops, "models (as of)");
        log($"dashboard: models page now and as of before the promotion, its card and metric chart as the registry has them ({watch.Elapsed.TotalSeconds:0.0} s)");

        var runs = await browser.ShowAsync(ops, $"runs/{trainingRun}", "4-runs");
        Assert.Contains(trainingRun, runs, StringComparison.Ordinal);
        Assert.Contains("Completed", runs, StringComparison.Ordinal);
        Assert.True(await ops.Locator("[data-testid=metric-deltas] tbody tr").CountAsync() > 0, "two runs compared metric by metric");
        // The step timeline of the candidate's run: all eight pipeline steps, completed, each with a bar.
        var steps = ops.Locator("[data-testid=step-timeline] tbody tr");
        Assert.Equal(8, await steps.CountAsync());
        Assert.Equal(8, await ops.Locator("[data-testid=step-timeline] .track .step.Completed").CountAsync());
        Assert.Contains("Register", await ops.Locator("[data-testid=step-timeline]").InnerTextAsync(), StringComparison.Ordinal);
        // The champion's run against the candidate's: both ROC curves and reliability tables, drawn from stored evaluations.
        await ops.Locator("select[aria-label='run a']").SelectOptionAsync(championRun);
        await ops.Locator("select[aria-label='run b']").SelectOptionAsync(trainingRun);
        await ops.Locator("[data-testid=run-compare]").EvaluateAsync("el => el.replaceChildren()");
        await ops.GetByRole(AriaRole.Button, new() { Name = "Compare" }).ClickAsync();
        await ops.Locator("[data-testid=roc-chart] canvas").WaitForAsync(new() { Timeout = 30_000 });
        var roc = ops.Locator("[data-testid=roc-chart] .chart");
        var reliability = ops.Locator("[data-testid=reliability-chart] .chart");
        Assert.Equal(1, await ops.Locator("[data-testid=reliability-chart] canvas").CountAsync());
        // Two curves of at least origin, one bend and corner each, plus the chance diagonal's two points.
        Assert.True(int.Parse(await roc.GetAttributeAsync("data-points") ?? "0") >= 8, "ROC points of both runs");
        Assert.True(int.Parse(await reliability.GetAttributeAsync("data-points") ?? "0") >= 4, "reliability bins of both runs");
        // Each run's curve is its stored held-out evaluation, point for point, and the AUROC its legend states is the
        // training run's recorded metric.
        var rocSeries = JsonNode.Parse(await roc.GetAttributeAsync("data-series") ?? "[]")!.AsArray();
        foreach (var (which, runId) in new[] { ("a", championRun), ("b", trainingRun) })
        {
            var curve = rocSeries.Single(s => s!["label"]!.GetValue<string>().StartsWith($"{which}: {runId[..8]} (AUROC ", StringComparison.Ordinal))!;
            var evaluation = (await admin.SendAsync(HttpMethod.Get, $"api/training/runs/{runId}/evaluation", null, null, CancellationToken.None))!;
            var metrics = (await admin.SendAsync(HttpMethod.Get, $"api/training/runs/{runId}", null, null, CancellationToken.None))!["run"]!["metrics"]!;
            Assert.Equal(metrics["auroc"]!.GetValue<double>(), curve["value"]!.GetValue<double>(), 1e-9);
            var points = evaluation["roc"]!.AsArray();
            Assert.True(points.Count >= 3, $"run {runId}: a stored ROC curve of {points.Count} points");
            AssertSeries(points.Select(p => (double?)p!["falsePositiveRate"]!.GetValue<double>()), curve["points"]!.AsArray().Select(p => p![0]?.GetValue<double>()), $"run {which}: ROC false positive rates");
            AssertSeries(points.Select(p => (double?)p!["truePositiveRate"]!.GetValue<double>()), curve["points"]!.AsArray().Select(p => p![1]?.GetValue<double>()), $"run {which}: ROC true positive rates");
        }

        var legend = await ops.Locator("[data-testid=roc-chart]").InnerTextAsync();
        Assert.Contains($"a: {championRun[..8]}", legend, StringComparison.Ordinal);
        Assert.Contains($"b: {trainingRun[..8]}", legend, StringComparison.Ordinal);
        Assert.Contains("AUROC", legend, StringComparison.Ordinal);
        await ops.Locator("[data-testid=compare-charts]").ScrollIntoViewIfNeededAsync();
        await ops.ScreenshotAsync(new() { Path = Path.Combine(DashboardBrowser.ScreenshotDirectory, "4b-runs-compare.png"), FullPage = true });
        await NoErrorsAsync(ops, "runs");
        // Started only now (its run would be the newest evaluated one, which the compare card takes by default), and
        // looked at once the rollouts below are done: it trains meanwhile.
        var searchRun = await StartSearchAsync(admin, data.Model, trainingRun);

        await browser.ShowAsync(ops, $"monitoring/{data.Model}", "5-monitoring");
        Assert.True(await ops.Locator("[data-testid=monitoring] .card").CountAsync() == 5, "drift, performance, SLO, alerts, webhook deliveries");
        await NoErrorsAsync(ops, "monitoring");

        await browser.ShowAsync(ops, "sagas", "6-sagas");
        Assert.Contains(data.PromotedRollout.ToString()[..8], await ops.Locator("[data-testid=rollout-sagas]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains(trainingRun[..8], await ops.Locator("[data-testid=training-sagas]").InnerTextAsync(), StringComparison.Ordinal);
        await NoErrorsAsync(ops, "sagas");

        // A dead letter made now reaches the open page through the live feed, without a reload.
        await ops.EvaluateAsync("() => { window.__e2eSamePage = true; }");
        var newestBefore = await NewestDeadLetterAsync(ops);
        var deadLetter = await ProduceUnreadableLabelAsync($"e2e-dashboard-{run}");
        await Eventually.WaitUntilAsync(async () => await NewestDeadLetterAsync(ops) is { } newest && newest != newestBefore && newest.Contains(Topics.Labels, StringComparison.Ordinal),
            $"dead letter of {deadLetter} shown on the open sagas page", TimeSpan.FromMinutes(1));
        Assert.True(await ops.EvaluateAsync<bool>("() => window.__e2eSamePage === true"), "the page was not reloaded");
        Assert.Contains("invalid-envelope", await NewestDeadLetterAsync(ops) ?? "", StringComparison.Ordinal);
        await ops.ScreenshotAsync(new() { Path = Path.Combine(DashboardBrowser.ScreenshotDirectory, "6b-sagas-dead-letter-live.png"), FullPage = true });
        var deadLetterId = await DeadLetterIdAsync(admin, deadLetter);

        // The viewer opens the same dead letter: its detail, but no Replay button; replaying it anyway is refused and
        // nothing is replayed.
        await browser.ShowAsync(viewer, "sagas", "6c-sagas-viewer");
        await OpenDeadLetterAsync(viewer, deadLetterId);
        // The page's screenshot again, now with the dead letter open: what the viewer has in place of Replay.
        await viewer.Locator("[data-testid=deadletter-detail]").ScrollIntoViewIfNeededAsync();
        await viewer.ScreenshotAsync(new() { Path = Path.Combine(DashboardBrowser.ScreenshotDirectory, "6c-sagas-viewer.png"), FullPage = true });
        Assert.Equal(0, await viewer.Locator("[data-testid=deadletter-detail] [data-action=replay]").CountAsync());
        Assert.Equal(0, await viewer.Locator("main button").CountAsync());
        var replayRefused = await PostFromPageAsync(viewer, $"/api/ingestion/deadletters/{deadLetterId}/replay", new { by = "viewer", reason = "a viewer tries" });
        Assert.Equal((403, "Role required"), (replayRefused.Status, replayRefused.Title));
        var replaysAfterRefusal = (await GetDeadLetterAsync(admin, deadLetterId))["replays"]!.AsArray();
        Assert.True(replaysAfterRefusal.Count == 0, $"dead letter {deadLetterId} has no replays after the viewer's refused one: {replaysAfterRefusal.ToJsonString()}");
        await NoErrorsAsync(viewer, "sagas (viewer)");

        // The operator opens it on the page that showed it live: the detail pane holds the dead letter as the ingestion
        // API does (why the consumer gave up, the original record untouched); replayed from the page with a reason, the
        // replays card gains the row the replay log records: who, when, to which topic and offset.
        await OpenDeadLetterAsync(ops, deadLetterId);
        var entry = await GetDeadLetterAsync(admin, deadLetterId);
        var shown = JsonNode.Parse(await ops.Locator("[data-testid=deadletter-detail] pre").InnerTextAsync())!;
        Assert.Equal(deadLetterId, shown["id"]!.GetValue<string>());
        Assert.Equal($"not an event envelope ({deadLetter})", shown["record"]!["originalValue"]!.GetValue<string>());
        foreach (var field in new[] { "originalTopic", "originalKey", "originalValue", "consumerGroup", "failureKind", "reason" })
        {
            Assert.Equal(entry["record"]![field]!.GetValue<string>(), shown["record"]![field]?.GetValue<string>());
        }

        Assert.Equal(entry["record"]!["originalOffset"]!.GetValue<long>(), shown["record"]!["originalOffset"]!.GetValue<long>());
        Assert.Contains("envelope", shown["record"]!["reason"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        var replayReason = $"upstream fixed, journey {run}";
        await ops.Locator("[data-testid=deadletter-detail] input[aria-label='replay reason']").FillAsync(replayReason);
        await ops.Locator("[data-testid=deadletter-detail] [data-action=replay]").ClickAsync();
        await ops.Locator("[data-testid=deadletter-detail] .ok").Filter(new() { HasText = "replayed" }).WaitForAsync(new() { Timeout = 30_000 });
        var replay = (await GetDeadLetterAsync(admin, deadLetterId))["replays"]!.AsArray().Single()!;
        Assert.Equal(operatorName, replay["replayedBy"]!.GetValue<string>());
        Assert.Equal(replayReason, replay["reason"]!.GetValue<string>());
        Assert.Equal(Topics.Labels, replay["targetTopic"]!.GetValue<string>());
        Assert.NotNull(replay["publishedOffset"]);
        // The detail pane is read again after the replay: it lists the replay too.
        var shownReplay = JsonNode.Parse(await ops.Locator("[data-testid=deadletter-detail] pre").InnerTextAsync())!["replays"]!.AsArray().Single()!;
        Assert.Equal((operatorName, replayReason, replay["replayId"]!.GetValue<string>()),
            (shownReplay["replayedBy"]!.GetValue<string>(), shownReplay["reason"]!.GetValue<string>(), shownReplay["replayId"]!.GetValue<string>()));
        // The row as the page renders it: the time in the browser's locale, the target as "topic @ offset".
        var replayedAt = await ops.EvaluateAsync<string>("iso => new Date(iso).toLocaleString()", replay["requestedAt"]!.GetValue<string>());
        string[] expectedRow = [replayedAt, deadLetterId, operatorName, replayReason, $"{Topics.Labels} @ {replay["publishedOffset"]!.GetValue<long>()}"];
        string[]? replayRow = null;
        await Eventually.WaitUntilAsync(async () => (replayRow = (await TableRowsAsync(ops.Locator("[data-testid=replays]"))).FirstOrDefault(r => r.Length > 1 && r[1] == deadLetterId)) is not null,
            $"the replay of {deadLetterId} listed on the sagas page", TimeSpan.FromSeconds(30));
        Assert.Equal(expectedRow, replayRow);
        Assert.True(await ops.EvaluateAsync<bool>("() => window.__e2eSamePage === true"), "the page was not reloaded");
        await ops.Locator("[data-testid=replays]").ScrollIntoViewIfNeededAsync();
        await ops.ScreenshotAsync(new() { Path = Path.Combine(DashboardBrowser.ScreenshotDirectory, "6d-sagas-dead-letter-replayed.png"), FullPage = true });
        await NoErrorsAsync(ops, "sagas (replayed)");
        log("dashboard: six pages rendered with the journey's data (screenshots in .local/test-results/journey/dashboard)");

        var paused = await StartPausingRolloutAsync(admin, data.Model, data.OldVersion);
        try
        {
            await WaitForAsync(admin, paused, r => r["state"]!.GetValue<string>() == "Paused", "pauses on an inconclusive analysis");

            var seen = await browser.ShowAsync(viewer, $"rollouts/{paused}", "7-rollouts-viewer");
            Assert.Contains("Paused", seen, StringComparison.Ordinal);
            Assert.Equal(0, await viewer.Locator("main button").CountAsync());
            Assert.Contains("may read only", seen, StringComparison.Ordinal);
            var refused = await PostFromPageAsync(viewer, $"/api/registry/rollouts/{paused}/approve", new { by = "viewer", reason = "not allowed" });
            Assert.Equal(403, refused.Status);
            Assert.Equal("Role required", refused.Title);
            // Nor may it promote the rollout now: no such button (the operator's page has one), and the call is refused.
            Assert.Equal(0, await viewer.Locator("[data-action=promote]").CountAsync());
            var promoteRefused = await PostFromPageAsync(viewer, $"/api/registry/rollouts/{paused}/promote", new { by = "viewer", reason = "not allowed" });
            Assert.Equal((403, "Role required"), (promoteRefused.Status, promoteRefused.Title));
            Assert.Equal("Paused", (await GetAsync(admin, paused))["state"]!.GetValue<string>());

            await browser.ShowAsync(ops, $"rollouts/{paused}", "8-rollouts-paused");
            Assert.Equal(1, await ops.Locator("[data-action=promote]").CountAsync());
            await ops.Locator("[data-action=approve]").ClickAsync();
            await ops.GetByTestId("action-message").Filter(new() { HasText = "accepted" }).WaitForAsync(new() { Timeout = 30_000 });
            var approved = await WaitForAsync(admin, paused, r => r["stepHistory"]![0]!["outcome"]?.GetValue<string>() == "approved", "records the approval and moves to the next step");
            Assert.Contains(approved["actions"]!.AsArray(), a => a!["action"]!.GetValue<string>() == "approve" && a["by"]!.GetValue<string>() == operatorName);
            Assert.Equal(1, approved["currentStep"]!.GetValue<int>());

            await browser.ShowAsync(ops, $"rollouts/{paused}", "9-rollouts-approved");
            await ops.Locator("[data-action=abort]").ClickAsync();
            await ops.GetByTestId("action-message").Filter(new() { HasText = "accepted" }).WaitForAsync(new() { Timeout = 30_000 });
            var aborted = await WaitForAsync(admin, paused, r => r["state"]!.GetValue<string>() == "Aborted", "is aborted");
            Assert.Contains(aborted["actions"]!.AsArray(), a => a!["action"]!.GetValue<string>() == "abort");
            // The page follows the saga through the live feed, without a reload.
            await ops.GetByTestId("rollout-state").Filter(new() { HasText = "Aborted" }).WaitForAsync(new() { Timeout = 30_000 });
            await ops.ScreenshotAsync(new() { Path = Path.Combine(DashboardBrowser.ScreenshotDirectory, "10-rollouts-aborted.png"), FullPage = true });
            log($"dashboard: a viewer got 403; rollout {paused} approved, then aborted, from the browser");
        }
        finally
        {
            // Left running it would deploy the old version again; the journey retires the model next.
            await AbortQuietlyAsync(admin, paused);
        }

        // Promote now, on a rollout that waits (paused as the one above): the registry promotes its candidate at once,
        // whatever step it is at. It makes the old version champion again; the journey retires the model next.
        watch.Restart();
        var promoteNow = await StartPausingRolloutAsync(admin, data.Model, data.OldVersion);
        try
        {
            await WaitForAsync(admin, promoteNow, r => r["state"]!.GetValue<string>() == "Paused", "pauses on an inconclusive analysis");
            await browser.ShowAsync(ops, $"rollouts/{promoteNow}", "11-rollouts-promote-now");
            await ops.Locator("[data-action=promote]").ClickAsync();
            await ops.GetByTestId("action-message").Filter(new() { HasText = "promote accepted" }).WaitForAsync(new() { Timeout = 30_000 });
            var promotedNow = await WaitForAsync(admin, promoteNow, r => r["state"]!.GetValue<string>() is "Promoted" or "RolledBack" or "Aborted" or "AwaitingPromotionApproval", "is decided after promote now");
            Assert.True(promotedNow["state"]!.GetValue<string>() == "Promoted", $"rollout {promoteNow} ended {promotedNow["state"]}: {promotedNow["reason"]}");
            Assert.Contains(promotedNow["actions"]!.AsArray(), a => a!["action"]!.GetValue<string>() == "promote" && a["by"]!.GetValue<string>() == operatorName);
            // Promoted from its first (10 %) step, which the saga closes as promoted now: no analysis passed, none approved.
            Assert.Equal(["promoted-now"], promotedNow["stepHistory"]!.AsArray().Select(st => st!["outcome"]?.GetValue<string>()));
            Assert.Equal(data.OldVersion, (await admin.GetModelAsync(data.Model, CancellationToken.None))!["aliases"]!["champion"]!.GetValue<string>());
            await ops.GetByTestId("rollout-state").Filter(new() { HasText = "Promoted" }).WaitForAsync(new() { Timeout = 30_000 });
            await ops.ScreenshotAsync(new() { Path = Path.Combine(DashboardBrowser.ScreenshotDirectory, "12-rollouts-promoted-now.png"), FullPage = true });
            await NoErrorsAsync(ops, "rollouts (promoted now)");
            log($"dashboard: rollout {promoteNow} promoted now from the browser ({watch.Elapsed.TotalSeconds:0.0} s)");
        }
        finally
        {
            await AbortQuietlyAsync(admin, promoteNow);
        }

        watch.Restart();
        await AssertSearchShownAsync(browser, ops, admin, searchRun);
        log($"dashboard: search run {searchRun}'s trials listed and linked from it ({watch.Elapsed.TotalSeconds:0.0} s)");
    }

    /// <summary>A rollout of <paramref name="version"/> that pauses: no analysis can reach a million requests, so every one is inconclusive.</summary>
    static async Task<Guid> StartPausingRolloutAsync(GatewayClient admin, string model, string version)
    {
        var started = await admin.SendAsync(HttpMethod.Post, "api/registry/rollouts", new JsonObject
        {
            ["modelName"] = model,
            ["candidateVersion"] = version,
            ["steps"] = new JsonArray(10, 20),
            ["analysisInterval"] = "00:00:03",
            ["thresholds"] = new JsonObject { ["maxErrorRate"] = 0.05, ["maxP99LatencyMs"] = 5000, ["minRequests"] = 1_000_000 },
            ["failureLimit"] = 0,
            ["consecutiveSuccesses"] = 1,
            ["requestedBy"] = "e2e-dashboard",
        }, null, CancellationToken.None);
        return Guid.Parse(started!["rolloutId"]!.GetValue<string>());
    }

    static async Task AbortQuietlyAsync(GatewayClient admin, Guid rollout)
    {
        try
        {
            await admin.SendAsync(HttpMethod.Post, $"api/registry/rollouts/{rollout}/abort", new JsonObject { ["by"] = "e2e-dashboard", ["reason"] = "journey over" }, null, CancellationToken.None);
        }
        catch (ApiProblem problem) when (problem.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            // Already finished, or never started.
        }
    }

    /// <summary>An A/B experiment on the model with three batches of counts posted: three looks, three p-values. Returns its name and id.</summary>
    static async Task<(string Name, string Id)> StartExperimentAsync(GatewayClient admin, string model, string name)
    {
        var created = await admin.SendAsync(HttpMethod.Post, "api/gateway/experiments", new JsonObject
        {
            ["name"] = name,
            ["modelName"] = model,
            ["arms"] = new JsonArray(
                new JsonObject { ["name"] = "control", ["variant"] = "champion" },
                new JsonObject { ["name"] = "treatment", ["variant"] = "challenger" }),
        }, null, CancellationToken.None);
        var id = created!["id"]!.GetValue<string>();
        foreach (var successes in new[] { 130, 135, 128 })
        {
            await admin.SendAsync(HttpMethod.Post, $"api/gateway/experiments/{id}/observations", new JsonObject
            {
                ["arms"] = new JsonArray(
                    new JsonObject { ["arm"] = "control", ["trials"] = 1000, ["successes"] = 100 },
                    new JsonObject { ["arm"] = "treatment", ["trials"] = 1000, ["successes"] = successes }),
            }, null, CancellationToken.None);
        }

        return (name, id);
    }

    /// <summary>
    /// What an upstream system with a bug sends: a record on labels.v1 that is no event envelope. The features service's
    /// consumer dead-letters it at once (kind invalid-envelope). Returns the record's key.
    /// </summary>
    static async Task<string> ProduceUnreadableLabelAsync(string key)
    {
        var builder = TestHost.CreateBuilder("e2e-dashboard-deadletter");
        builder.AddPlatformKafka();
        using var host = builder.Build();
        var config = host.Services.GetRequiredService<KafkaClientConfigFactory>().CreateProducerConfig("e2e-dashboard-deadletter");
        using var producer = new ProducerBuilder<string, byte[]>(config).Build();
        await producer.ProduceAsync(Topics.Labels, new Message<string, byte[]> { Key = key, Value = Encoding.UTF8.GetBytes($"not an event envelope ({key})") });
        return key;
    }

    /// <summary>
    /// The id of the newest dead letter made of the record with key <paramref name="key"/>, from the ingestion API. Every
    /// consumer group reading labels.v1 (features, monitoring) gives up on it, so there may be one per group.
    /// </summary>
    static async Task<string> DeadLetterIdAsync(GatewayClient admin, string key)
    {
        var listed = await admin.SendAsync(HttpMethod.Get, $"api/ingestion/deadletters?topic={Topics.Labels}&limit=1000", null, null, CancellationToken.None);
        return listed!.AsArray().First(d => d!["record"]!["originalKey"]?.GetValue<string>() == key)!["id"]!.GetValue<string>();
    }

    static async Task<JsonNode> GetDeadLetterAsync(GatewayClient admin, string id) =>
        (await admin.SendAsync(HttpMethod.Get, $"api/ingestion/deadletters/{id}", null, null, CancellationToken.None))!;

    /// <summary>Clicks the dead letter's id in the open sagas page's list and waits for its detail pane.</summary>
    static async Task OpenDeadLetterAsync(IPage page, string id)
    {
        await page.Locator("[data-testid=deadletters]").GetByRole(AriaRole.Link, new() { Name = id, Exact = true }).ClickAsync();
        await page.Locator("[data-testid=deadletter-detail] h3").Filter(new() { HasText = $"Dead letter {id}" }).WaitForAsync(new() { Timeout = 30_000 });
    }

    static async Task<JsonNode?> ExperimentStoppedAsync(GatewayClient admin, string name)
    {
        var experiments = await admin.SendAsync(HttpMethod.Get, "api/gateway/experiments", null, null, CancellationToken.None);
        return experiments!.AsArray().Single(e => e!["name"]!.GetValue<string>() == name)!["stopped"];
    }

    /// <summary>
    /// Posts <paramref name="body"/> to <paramref name="path"/> from the signed-in page, with its session cookie and CSRF
    /// token, exactly as its button would: what a key without the button gets when it acts anyway.
    /// </summary>
    static async Task<JsonElementHolder> PostFromPageAsync(IPage page, string path, object body) =>
        await page.EvaluateAsync<JsonElementHolder>("""
            async ([path, body]) => {
              const me = await (await fetch("/api/gateway/me")).json();
              const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json", "X-Csrf-Token": me.csrfToken }, body: JSON.stringify(body) });
              return { status: r.status, title: (await r.json()).title };
            }
            """, new object[] { path, body });

    /// <summary>What a <c>lineChart</c> plots, read from its element: x and each series' values by label.</summary>
    internal sealed record ChartData(JsonArray X, IReadOnlyDictionary<string, JsonArray> Series);

    internal static async Task<ChartData> ChartAsync(ILocator chart)
    {
        var x = JsonNode.Parse(await chart.GetAttributeAsync("data-x") ?? "null") as JsonArray;
        var series = JsonNode.Parse(await chart.GetAttributeAsync("data-series") ?? "null") as JsonArray;
        Assert.True(x is not null && series is not null, $"the chart {await chart.GetAttributeAsync("data-chart")} exposes data-x and data-series");
        return new ChartData(x, series.ToDictionary(s => s!["label"]!.GetValue<string>(), s => s!["values"]!.AsArray()));
    }

    /// <summary>The values a chart plotted against those the API answered: same count, same nulls, equal to 1e-9.</summary>
    internal static void AssertSeries(IEnumerable<double?> expected, JsonArray plotted, string what) =>
        AssertSeries(expected, plotted.Select(v => v?.GetValue<double>()), what);

    internal static void AssertSeries(IEnumerable<double?> expected, IEnumerable<double?> plotted, string what)
    {
        var want = expected.ToList();
        var got = plotted.ToList();
        Assert.True(want.Count == got.Count, $"{what}: the API has {want.Count} values, the chart plots {got.Count}");
        for (var i = 0; i < want.Count; i++)
        {
            Assert.True(want[i] is null ? got[i] is null : got[i] is { } g && Math.Abs(g - want[i]!.Value) <= 1e-9,
                $"{what}, point {i}: the API says {want[i]?.ToString("R", CultureInfo.InvariantCulture) ?? "null"}, the chart plots {got[i]?.ToString("R", CultureInfo.InvariantCulture) ?? "null"}");
        }
    }

    /// <summary>Each body row of a rendered table as its cells' texts.</summary>
    internal static async Task<string[][]> TableRowsAsync(ILocator table) =>
        await table.CountAsync() == 0 ? [] : await table.EvaluateAsync<string[][]>("t => [...t.querySelectorAll('tbody tr')].map(tr => [...tr.cells].map(td => td.innerText.trim()))");

    static async Task<string?> NewestDeadLetterAsync(IPage page)
    {
        var first = page.Locator("[data-testid=deadletters] tbody tr").First;
        return await first.CountAsync() == 0 ? null : await first.InnerTextAsync();
    }

    /// <summary>What the page's fetch returned (Playwright deserialises the script's result into it).</summary>
    public sealed class JsonElementHolder
    {
        public int Status { get; set; }

        public string? Title { get; set; }
    }

    internal static async Task NoErrorsAsync(IPage page, string name)
    {
        var errors = await DashboardBrowser.ErrorsAsync(page);
        Assert.True(errors.Count == 0, $"the {name} page shows errors: {string.Join(" | ", errors)}");
    }

    internal static async Task<string> CreateKeyAsync(GatewayClient admin, string name, string role) =>
        (await admin.SendAsync(HttpMethod.Post, "api/gateway/keys", new JsonObject { ["name"] = name, ["roles"] = new JsonArray(role) }, null, CancellationToken.None))!["key"]!.GetValue<string>();

    static async Task<JsonNode> GetAsync(GatewayClient admin, Guid rollout) =>
        (await admin.SendAsync(HttpMethod.Get, $"api/registry/rollouts/{rollout}", null, null, CancellationToken.None))!;

    static async Task<JsonNode> WaitForAsync(GatewayClient admin, Guid rollout, Func<JsonNode, bool> condition, string what)
    {
        JsonNode? last = null;
        try
        {
            await Eventually.WaitUntilAsync(async () =>
            {
                try
                {
                    return condition(last = await GetAsync(admin, rollout));
                }
                catch (ApiProblem problem) when (problem.Status == HttpStatusCode.NotFound)
                {
                    // Accepted, but the saga has not consumed StartRollout yet.
                    return false;
                }
            }, $"rollout {rollout} {what}", TimeSpan.FromMinutes(1));
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}; last seen: {last?.ToJsonString()}");
        }

        return last!;
    }
}
