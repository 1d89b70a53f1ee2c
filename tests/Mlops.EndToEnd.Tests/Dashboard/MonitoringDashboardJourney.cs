using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Mlops.Cli.Core.Gateway;
using Mlops.EndToEnd.Tests.Platform;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Dashboard;

/// <summary>
/// The monitoring page and the retraining sagas card on the degradation journey's data (only that journey has labels
/// and a retraining): the performance charts of every version and variant plot the windows monitoring scored, figure
/// for figure, label coverage included; the webhook delivery of the journey's alert is listed as monitoring recorded
/// it; the sagas page lists the journey's retraining with its state, steps and outcome. Read by a viewer key: nothing
/// here needs more.
/// </summary>
public static class MonitoringDashboardJourney
{
    /// <summary>The journey's model and retraining, the alert that started it, and the webhook (with its receiver) the alert went to.</summary>
    public sealed record Data(string Model, Guid Retraining, Guid Alert, Guid Webhook, WebhookReceiver Receiver);

    public static async Task RunAsync(Uri gateway, GatewayClient admin, Data data, Action<string> log)
    {
        var watch = Stopwatch.StartNew();
        var viewerKey = await DashboardJourney.CreateKeyAsync(admin, $"e2e-monitoring-viewer-{Guid.NewGuid().ToString("N")[..6]}", "predict");
        // The alert's delivery, as monitoring records it once the receiver has answered.
        JsonNode? delivery = null;
        await JourneyModels.WithLastState(() => delivery?.ToJsonString(), () => Eventually.WaitUntilAsync(async () =>
        {
            var deliveries = await admin.SendAsync(HttpMethod.Get, $"api/monitoring/webhooks/{data.Webhook}/deliveries", null, null, CancellationToken.None);
            delivery = deliveries!.AsArray().FirstOrDefault(d => d!["alertId"]!.GetValue<Guid>() == data.Alert);
            return delivery?["status"]?.GetValue<string>() == "delivered";
        }, $"alert {data.Alert} delivered to webhook {data.Webhook}", TimeSpan.FromMinutes(1)));
        Assert.Contains(data.Receiver.Received, body => body.Contains(data.Alert.ToString(), StringComparison.OrdinalIgnoreCase));

        await using var browser = await DashboardBrowser.LaunchAsync(gateway);
        var page = await browser.SignInAsync(viewerKey);

        // Windows are scored while labels arrive: the page is compared with an answer that did not change while it loaded.
        var path = $"api/monitoring/models/{data.Model}/performance?limit=200";
        var driftPath = $"api/monitoring/models/{data.Model}/drift?limit=200";
        var sloPath = $"api/monitoring/slo/{data.Model}";
        JsonNode? before = null, windows = null, driftBefore = null, drift = null, sloBefore = null, slo = null;
        await JourneyModels.WithLastState(() => $"{before?.ToJsonString()} then {windows?.ToJsonString()}", () => Eventually.WaitUntilAsync(async () =>
        {
            (before, driftBefore, sloBefore) = (await Get(path), await Get(driftPath), await SloAsync());
            await browser.ShowAsync(page, $"monitoring/{data.Model}", "13-monitoring-degraded-model");
            (windows, drift, slo) = (await Get(path), await Get(driftPath), await SloAsync());
            return JsonNode.DeepEquals(before, windows) && JsonNode.DeepEquals(driftBefore, drift) && JsonNode.DeepEquals(Firing(sloBefore), Firing(slo));
        }, $"the performance and drift windows and the firing SLO rules of {data.Model} stay as they are while the page loads", TimeSpan.FromMinutes(1)));

        async Task<JsonNode?> Get(string at) => await admin.SendAsync(HttpMethod.Get, at, null, null, CancellationToken.None);

        // No counters read yet is a 404, which the page shows as an error in the card; the journey's model has them.
        async Task<JsonNode?> SloAsync() => await Get(sloPath);

        // Burn rates move with every scrape; which rules fire is what the page must agree on.
        static JsonNode Firing(JsonNode? statuses) => new JsonArray([.. statuses!.AsArray().SelectMany(s => s!["rules"]!.AsArray().Select(r =>
            (JsonNode)$"{s["modelVersion"]} {s["kind"]} {r!["severity"]} {r["firing"]}"))]);
        var all = windows!.AsArray().Select(w => w!).ToList();
        Assert.Contains(all, w => w["labeled"]!.GetValue<int>() > 0 && w["auroc"] is not null && w["degraded"]?.GetValue<bool>() == true);

        // One set of charts per version and variant, each plotting that pair's windows in time order.
        var groups = all.GroupBy(w => $"{w["modelVersion"]!.GetValue<string>()} {w["variant"]!.GetValue<string>()}").ToList();
        var shownGroups = await page.Locator("[data-testid=performance] [data-testid=performance-group]")
            .EvaluateAllAsync<string[]>("gs => gs.map(g => `${g.dataset.version} ${g.dataset.variant}`)");
        Assert.Equal(groups.Select(g => g.Key).Order(StringComparer.Ordinal), shownGroups.Order(StringComparer.Ordinal));
        foreach (var group in groups)
        {
            var ordered = group.OrderBy(w => w["windowEnd"]!.GetValue<DateTimeOffset>().ToUnixTimeMilliseconds()).ThenBy(w => w["windowId"]!.GetValue<long>()).ToList();
            var x = ordered.Select(w => (double?)w["windowEnd"]!.GetValue<DateTimeOffset>().ToUnixTimeMilliseconds() / 1000).ToList();
            IEnumerable<double?> Field(string name) => ordered.Select(w => w[name]?.GetValue<double>());
            var auroc = await DashboardJourney.ChartAsync(page.Locator($"[data-testid=performance] .chart[data-chart='AUROC: {group.Key}']"));
            DashboardJourney.AssertSeries(x, auroc.X, $"{group.Key}: window ends");
            DashboardJourney.AssertSeries(Field("auroc"), auroc.Series["auroc"], $"{group.Key}: AUROC");
            DashboardJourney.AssertSeries(Field("baselineAuroc"), auroc.Series["baseline"], $"{group.Key}: baseline AUROC");
            var coverage = await DashboardJourney.ChartAsync(page.Locator($"[data-testid=performance] .chart[data-chart='label coverage: {group.Key}']"));
            DashboardJourney.AssertSeries(x, coverage.X, $"{group.Key}: window ends (coverage)");
            DashboardJourney.AssertSeries(Field("coverage"), coverage.Series["coverage"], $"{group.Key}: label coverage");
            var calibration = await DashboardJourney.ChartAsync(page.Locator($"[data-testid=performance] .chart[data-chart='Brier / ECE: {group.Key}']"));
            DashboardJourney.AssertSeries(x, calibration.X, $"{group.Key}: window ends (Brier / ECE)");
            DashboardJourney.AssertSeries(Field("brier"), calibration.Series["brier"], $"{group.Key}: Brier");
            DashboardJourney.AssertSeries(Field("ece"), calibration.Series["ece"], $"{group.Key}: ECE");
        }

        // Drift: one chart per feature, its score and threshold per judged window in time order (the page's x: whole seconds).
        var judged = drift!.AsArray().Select(w => w!).OrderBy(w => w["windowEnd"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        var features = judged.SelectMany(w => w["features"]!.AsArray().Select(f => f!["feature"]!.GetValue<string>())).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(features.Count, await page.Locator("[data-testid=monitoring] .card").First.Locator(".chart").CountAsync());
        foreach (var feature in features)
        {
            var points = judged.Select(w => (End: w["windowEnd"]!.GetValue<DateTimeOffset>(), Result: w["features"]!.AsArray().FirstOrDefault(f => f!["feature"]!.GetValue<string>() == feature)))
                .Where(p => p.Result is not null).ToList();
            var chart = await DashboardJourney.ChartAsync(page.Locator($"[data-testid=monitoring] .chart[data-chart='{feature} ({points[0].Result!["method"]!.GetValue<string>()})']"));
            DashboardJourney.AssertSeries(points.Select(p => (double?)Math.Floor(p.End.ToUnixTimeMilliseconds() / 1000.0)), chart.X, $"drift of {feature}: window ends");
            DashboardJourney.AssertSeries(points.Select(p => p.Result!["score"]?.GetValue<double>()), chart.Series["score"], $"drift of {feature}: score");
            DashboardJourney.AssertSeries(points.Select(p => p.Result!["threshold"]?.GetValue<double>()), chart.Series["threshold"], $"drift of {feature}: threshold");
        }

        // SLO burn: a row per version, SLO and rule, its firing as monitoring judges it now.
        var sloRows = await DashboardJourney.TableRowsAsync(page.Locator("table[data-testid=slo]"));
        var expectedSlo = slo!.AsArray().SelectMany(s => s!["rules"]!.AsArray().Select(r => new[]
        {
            s["modelVersion"]!.GetValue<string>(), r!["severity"]!.GetValue<string>(), r["firing"]!.GetValue<bool>() ? "failed" : "passed",
        })).ToList();
        Assert.Equal(expectedSlo.Select(r => string.Join(" ", r)), sloRows.Select(r => $"{r[0]} {r[2]} {r[6]}"));

        var performanceCard = page.Locator(".card").Filter(new() { Has = page.Locator("[data-testid=performance]") });
        await performanceCard.ScrollIntoViewIfNeededAsync();
        await performanceCard.ScreenshotAsync(new() { Path = Path.Combine(DashboardBrowser.ScreenshotDirectory, "13b-monitoring-performance-card.png") });

        // The delivery row: which webhook, when, which alert, the outcome and the receiver's answer.
        var times = await page.EvaluateAsync<string[]>("isos => isos.map(i => i === null ? '—' : new Date(i).toLocaleString())",
            new[] { delivery!["createdAt"]!.GetValue<string>(), delivery["finishedAt"]?.GetValue<string>() });
        var last = delivery["history"]!.AsArray()[^1]!;
        string[] expectedDelivery =
        [
            data.Receiver.Url.ToString(), times[0], data.Alert.ToString(), delivery["eventType"]!.GetValue<string>(), "delivered",
            delivery["attempts"]!.GetValue<int>().ToString(System.Globalization.CultureInfo.InvariantCulture),
            last["statusCode"]?.GetValue<int>().ToString(System.Globalization.CultureInfo.InvariantCulture) ?? last["error"]!.GetValue<string>(), times[1],
        ];
        var deliveryRow = await page.Locator($"[data-testid=deliveries] tr[data-delivery='{delivery["deliveryId"]}']")
            .EvaluateAsync<string[]>("tr => [...tr.cells].map(td => td.innerText.trim())");
        Assert.Equal(expectedDelivery, deliveryRow);
        await DashboardJourney.NoErrorsAsync(page, "monitoring");
        log($"dashboard: {all.Count} performance windows of {groups.Count} versions/variants, {judged.Count} drift windows of {features.Count} features, {expectedSlo.Count} SLO rules and the webhook delivery as monitoring has them ({watch.Elapsed.TotalSeconds:0.0} s)");

        await browser.ShowAsync(page, "sagas", "14-sagas-retraining");
        var view = (await admin.SendAsync(HttpMethod.Get, $"api/monitoring/retraining/{data.Retraining}", null, null, CancellationToken.None))!;
        Assert.Equal("Promoted", view["state"]!.GetValue<string>());
        var row = await page.Locator($"[data-testid=retraining-sagas] tr[data-retraining='{data.Retraining}']")
            .EvaluateAsync<string[]>("tr => [...tr.cells].map(td => td.innerText.trim())");
        string? S(string name) => view[name]?.GetValue<string>();
        var requested = await page.EvaluateAsync<string>("iso => new Date(iso).toLocaleString()", S("requestedAt"));
        string[] expected =
        [
            data.Retraining.ToString()[..8], S("modelName")!, S("trigger")!, S("status")!, S("state")!,
            S("outcome") is { } outcome ? S("outcomeReason") is { } why ? $"{outcome}: {why}" : outcome : S("debounceReason") ?? "",
            S("candidateVersion") is { } candidate ? $"{S("championVersion") ?? "—"} → {candidate}" : S("championVersion") ?? "",
            string.Join(" → ", view["steps"]!.AsArray().Select(st => $"{st!["step"]!.GetValue<string>()}: {st["outcome"]?.GetValue<string>() ?? "running"}")),
            S("rolloutId") is { } rollout ? rollout[..8] : "", requested,
        ];
        // A table cell shows free text with its runs of white space as one space.
        Assert.Equal(expected.Select(Collapse), row.Select(Collapse));
        await page.Locator($"[data-testid=retraining-sagas] tr[data-retraining='{data.Retraining}']").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardBrowser.ScreenshotDirectory, "14-sagas-retraining.png"), FullPage = true });
        await DashboardJourney.NoErrorsAsync(page, "sagas");
        log($"dashboard: retraining {data.Retraining} listed {view["state"]} on the sagas page ({watch.Elapsed.TotalSeconds:0.0} s in all)");
    }

    static string Collapse(string text) => Regex.Replace(text, @"\s+", " ").Trim();
}
