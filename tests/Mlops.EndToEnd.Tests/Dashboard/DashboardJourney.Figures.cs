using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Mlops.Cli.Core.Gateway;
using Mlops.EndToEnd.Tests.Platform;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Dashboard;

/// <summary>
/// The figures the overview, the models page and the runs page show, against the APIs they are read from: the
/// services' request and 5xx counts, the alerts, the registry now and as of a past time, the model card, a metric across
/// versions, a search's child runs.
/// </summary>
public static partial class DashboardJourney
{
    static readonly string[] ServiceColumns = ["service", "health", "requests/s", "5xx/s", "requests", "5xx", "detail"];

    static async Task<JsonNode> DashboardServicesAsync(GatewayClient admin) =>
        (await admin.SendAsync(HttpMethod.Get, "api/gateway/dashboard/services", null, null, CancellationToken.None))!;

    /// <summary>The services table as the page shows it, read at once: its snapshot's sequence and each service's cells.</summary>
    static async Task<(long Sequence, Dictionary<string, string[]> Rows)> ServicesShownAsync(IPage page)
    {
        var shown = JsonNode.Parse(await page.EvaluateAsync<string>("""
            () => {
              const t = document.querySelector("[data-testid=services-table]");
              return JSON.stringify({ sequence: Number(t.dataset.sequence),
                rows: [...t.querySelectorAll("tbody tr")].map(tr => [tr.dataset.service, [...tr.cells].map(td => td.innerText.trim())]) });
            }
            """))!;
        return (shown["sequence"]!.GetValue<long>(),
            shown["rows"]!.AsArray().ToDictionary(r => r![0]!.GetValue<string>(), r => r![1]!.AsArray().Select(c => c!.GetValue<string>()).ToArray()));
    }

    static JsonNode ServiceIn(JsonNode snapshot, string service) =>
        snapshot["services"]!.AsArray().Single(s => s!["service"]!.GetValue<string>() == service)!;

    /// <summary>A count as the page shows it: the whole number, or "—" when the service's metrics could not be read.</summary>
    static double? Count(string text) => text == "—" ? null : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>
    /// Each service's requests and 5xx answers on the overview against the gateway's own answer: the counts only grow,
    /// so what the page shows lies between what the API said before the page loaded and after it was read. Then, the
    /// page following the live feed, its snapshot is matched with the API's by sequence: same poll, same figures, the
    /// per-second rates included (to the two and three decimals shown).
    /// </summary>
    static async Task AssertServiceFiguresAsync(IPage page, GatewayClient admin, JsonNode before)
    {
        var (sequence, rows) = await ServicesShownAsync(page);
        var after = await DashboardServicesAsync(admin);
        Assert.InRange(sequence, before["sequence"]!.GetValue<long>(), after["sequence"]!.GetValue<long>());
        Assert.Equal(after["services"]!.AsArray().Select(s => s!["service"]!.GetValue<string>()).Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (service, cells) in rows)
        {
            foreach (var (column, field) in new[] { (4, "requestsTotal"), (5, "errorsTotal") })
            {
                var low = ServiceIn(before, service)[field]?.GetValue<double>();
                var high = ServiceIn(after, service)[field]?.GetValue<double>();
                var shown = Count(cells[column]);
                Assert.True(low is not null && shown is not null && high is not null && low <= shown && shown <= high,
                    $"{service} {ServiceColumns[column]}: the page shows {cells[column]}, the API said {low} before and {high} after");
            }
        }

        string? mismatch = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            var (shownSequence, shownRows) = await ServicesShownAsync(page);
            var snapshot = await DashboardServicesAsync(admin);
            if (snapshot["sequence"]!.GetValue<long>() != shownSequence)
            {
                return false;
            }

            foreach (var status in snapshot["services"]!.AsArray())
            {
                var cells = shownRows[status!["service"]!.GetValue<string>()];
                var rps = status["requestsPerSecond"]?.GetValue<double>();
                var eps = status["errorsPerSecond"]?.GetValue<double>();
                var ok = cells[1] == status["health"]!.GetValue<string>()
                    && Rate(cells[2], rps, 0.005) && Rate(cells[3], eps, 0.0005)
                    && Count(cells[4]) == status["requestsTotal"]?.GetValue<double>() && Count(cells[5]) == status["errorsTotal"]?.GetValue<double>();
                if (!ok)
                {
                    mismatch = $"poll {shownSequence}: the page shows [{string.Join(" | ", cells)}], the API {status.ToJsonString()}";
                    throw new Xunit.Sdk.XunitException($"the overview's figures differ from the same poll's answer: {mismatch}");
                }
            }

            return true;
        }, "the overview shows the snapshot the API answers", TimeSpan.FromSeconds(30));

        // A rate is "…" until a service has been polled twice; otherwise its value rounded as shown.
        static bool Rate(string text, double? value, double halfUnit) =>
            value is null ? text == "…" : text != "…" && Math.Abs(double.Parse(text, CultureInfo.InvariantCulture) - value.Value) <= halfUnit + 1e-12;
    }

    /// <summary>
    /// The overview's alerts against <c>GET /api/monitoring/alerts</c> for the same 24 h (the page keeps the window's
    /// start): the same alerts in the same order, each row as the page renders it. An alert raised in between reaches
    /// the page through the live feed, so the two are compared until they agree. Returns how many were shown.
    /// </summary>
    static async Task<int> AssertOverviewAlertsAsync(IPage page, GatewayClient admin)
    {
        string[][] shown = [];
        string[][] expected = [];
        await JourneyModels.WithLastState(() => $"shown: {Rows(shown)}; the API: {Rows(expected)}", () => Eventually.WaitUntilAsync(async () =>
        {
            var read = JsonNode.Parse(await page.EvaluateAsync<string>("""
                () => {
                  const card = document.querySelector("[data-testid=alerts]");
                  return JSON.stringify({ from: card.dataset.from ?? null,
                    rows: [...card.querySelectorAll("tbody tr")].map(tr => [tr.dataset.alert, ...[...tr.cells].map(td => td.innerText.trim())]) });
                }
                """))!;
            var from = read["from"]?.GetValue<string>();
            shown = read["rows"]!.AsArray().Select(r => r!.AsArray().Select(c => c!.GetValue<string>()).ToArray()).ToArray();
            if (from is null)
            {
                return false;
            }

            var listed = (await admin.SendAsync(HttpMethod.Get, $"api/monitoring/alerts?from={Uri.EscapeDataString(from)}&limit=50", null, null, CancellationToken.None))!.AsArray();
            var times = await LocalTimesAsync(page, listed.SelectMany(a => new[] { a!["detectedAt"]!.GetValue<string>(), a["publishedAt"]?.GetValue<string>() }));
            expected = listed.Select((a, i) => new[]
            {
                a!["alertId"]!.GetValue<string>(), times[2 * i], a["type"]!.GetValue<string>(), $"{a["modelName"]!.GetValue<string>()} {a["modelVersion"]!.GetValue<string>()}",
                a["variant"]!.GetValue<string>(), times[(2 * i) + 1],
            }).ToArray();
            return shown.Length == expected.Length && shown.Zip(expected).All(p => p.First.SequenceEqual(p.Second));
        }, "the overview's alerts are those monitoring lists for its 24 h", TimeSpan.FromSeconds(30)));
        return shown.Length;

        static string Rows(string[][] rows) => string.Join(" / ", rows.Select(r => string.Join(" | ", r)));
    }

    /// <summary>
    /// The overview's open SLO breaches against <c>GET /api/monitoring/slo</c>: one row per rule firing now, for every model
    /// version, and among them the journey's model's latency SLO (the journey set its objective below what the model
    /// takes). A round of monitoring can open or close one between the two reads, so they are compared until they agree.
    /// </summary>
    static async Task<int> AssertOpenBreachesAsync(IPage page, GatewayClient admin, string model)
    {
        string[][] shown = [];
        string[][] expected = [];
        await JourneyModels.WithLastState(() => $"shown: {Rows(shown)}; the API: {Rows(expected)}", () => Eventually.WaitUntilAsync(async () =>
        {
            var statuses = (await admin.SendAsync(HttpMethod.Get, "api/monitoring/slo", null, null, CancellationToken.None))!.AsArray();
            expected = statuses.SelectMany(s => s!["rules"]!.AsArray().Where(r => r!["firing"]!.GetValue<bool>()).Select(r => new[]
            {
                s["modelName"]!.GetValue<string>(), s["modelVersion"]!.GetValue<string>(), s["kind"]!.GetValue<string>(), r!["severity"]!.GetValue<string>(),
            })).ToArray();
            if (!expected.Any(e => e[0] == model && e[2] == "latency"))
            {
                // Not burning yet at monitoring: the page is reloaded by the live feed when the breach is raised.
                return false;
            }

            shown = [.. (await TableRowsAsync(page.Locator("[data-testid=open-breaches-table]"))).Select(r => r.Take(4).ToArray())];
            return shown.Length == expected.Length && shown.Zip(expected).All(p => p.First.SequenceEqual(p.Second));
        }, $"the overview lists the SLO rules firing now, {model}'s latency among them", TimeSpan.FromSeconds(90)));
        return shown.Length;

        static string Rows(string[][] rows) => string.Join(" / ", rows.Select(r => string.Join(" | ", r)));
    }

    /// <summary>Instants as the page renders them (its <c>fmt</c>: the browser's locale and zone), "—" for none.</summary>
    static async Task<string[]> LocalTimesAsync(IPage page, IEnumerable<string?> isos) =>
        await page.EvaluateAsync<string[]>("isos => isos.map(i => i === null ? '—' : new Date(i).toLocaleString())", isos.ToArray());

    /// <summary>
    /// The models page against the registry: now (versions with stage and aliases, the alias pills, the revision), the
    /// candidate's model card, the metric across versions for two metrics; then the "as of" picker set to the
    /// rollout's first analysis (the old version was champion then, the candidate its challenger) shows the registry as
    /// <c>?asOf=</c> answers for that instant, and emptied shows it now again.
    /// </summary>
    static async Task AssertModelsPageAsync(IPage page, GatewayClient admin, Data data, JsonNode promotedRollout)
    {
        var detail = page.Locator("[data-testid=model-detail]");
        await page.Locator("[data-testid=model-detail][data-showing='now']").WaitForAsync(new() { Timeout = 30_000 });
        var now = (await admin.GetModelAsync(data.Model, CancellationToken.None))!;
        Assert.Equal(data.NewVersion, now["aliases"]!["champion"]!.GetValue<string>());
        await AssertModelShownAsync(page, now, "now");

        await detail.Locator("[data-testid=versions]").GetByRole(AriaRole.Link, new() { Name = data.NewVersion, Exact = true }).ClickAsync();
        await page.Locator($"[data-testid=model-card][data-version='{data.NewVersion}']").WaitForAsync(new() { Timeout = 30_000 });
        await AssertModelCardAsync(page, admin, data.Model, data.NewVersion);

        var metrics = now["versions"]!.AsObject().SelectMany(v => v.Value!["registration"]!["metrics"]!["overall"]!.AsObject().Select(m => m.Key)).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Contains("auroc", metrics);
        await AssertMetricAcrossVersionsAsync(page, now, "auroc");
        await AssertMetricAcrossVersionsAsync(page, now, metrics.First(m => m != "auroc"));

        // Whole seconds: what the picker holds. The first analysis came a full analysis interval (40 s) after the start,
        // and the promotion after the last step's analysis, so the second before it is well inside.
        var firstAnalysis = promotedRollout["stepHistory"]![0]!["analyses"]![0]!["measuredAt"]!.GetValue<DateTimeOffset>();
        var asOf = DateTimeOffset.FromUnixTimeSeconds(firstAnalysis.ToUnixTimeSeconds());
        var asOfIso = asOf.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var then = (await admin.SendAsync(HttpMethod.Get, $"api/registry/models/{data.Model}?asOf={Uri.EscapeDataString(asOfIso)}", null, null, CancellationToken.None))!;
        Assert.Equal(data.OldVersion, then["aliases"]!["champion"]!.GetValue<string>());
        // The picker's value is local time in the browser's zone, as chromium normalises it (seconds left out when 0).
        var local = await page.EvaluateAsync<string>("""
            ms => {
              const d = new Date(ms), p = n => String(n).padStart(2, "0");
              return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}` + (d.getSeconds() ? `:${p(d.getSeconds())}` : "");
            }
            """, asOf.ToUnixTimeMilliseconds());
        await detail.Locator("input[aria-label='as of']").FillAsync(local);
        await page.Locator($"[data-testid=model-detail][data-showing='{asOfIso}']").WaitForAsync(new() { Timeout = 30_000 });
        await AssertModelShownAsync(page, then, $"as of {asOfIso}");
        Assert.Equal(data.OldVersion, await detail.Locator("[data-testid=aliases] [data-alias=champion]").GetAttributeAsync("data-version"));
        Assert.Contains("showing the registry as it was at", await detail.GetByTestId("as-of-note").InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardBrowser.ScreenshotDirectory, "3b-models-as-of.png"), FullPage = true });

        await detail.Locator("input[aria-label='as of']").FillAsync("");
        await page.Locator("[data-testid=model-detail][data-showing='now']").WaitForAsync(new() { Timeout = 30_000 });
        await AssertModelShownAsync(page, (await admin.GetModelAsync(data.Model, CancellationToken.None))!, "now, the picker emptied");
        Assert.Equal(data.NewVersion, await detail.Locator("[data-testid=aliases] [data-alias=champion]").GetAttributeAsync("data-version"));
    }

    /// <summary>The model's revision, alias pills, and each version's stage and aliases, as shown, against the registry's answer.</summary>
    static async Task AssertModelShownAsync(IPage page, JsonNode model, string when)
    {
        var shown = JsonNode.Parse(await page.EvaluateAsync<string>("""
            () => {
              const v = document.querySelector("[data-testid=model-detail] [data-testid=versions]");
              return JSON.stringify({ revision: Number(v.dataset.revision),
                aliases: [...document.querySelectorAll("[data-testid=model-detail] [data-testid=aliases] [data-alias]")].map(p => [p.dataset.alias, p.dataset.version]),
                versions: [...v.querySelectorAll("tbody tr")].map(tr => [tr.dataset.version, tr.cells[1].innerText.trim(), tr.cells[2].innerText.trim()]) });
            }
            """))!;
        var aliases = model["aliases"]!.AsObject().Select(a => (a.Key, a.Value!.GetValue<string>())).ToList();
        Assert.True(model["revision"]!.GetValue<long>() == shown["revision"]!.GetValue<long>(), $"{when}: revision {shown["revision"]} shown, the registry's is {model["revision"]}");
        Assert.Equal(aliases, shown["aliases"]!.AsArray().Select(a => (a![0]!.GetValue<string>(), a[1]!.GetValue<string>())));
        var expected = model["versions"]!.AsObject()
            .Select(v => (v.Key, v.Value!["stage"]!.GetValue<string>(), string.Join(", ", aliases.Where(a => a.Item2 == v.Key).Select(a => a.Key))))
            .OrderBy(v => v.Key, StringComparer.Ordinal).ToList();
        var versions = shown["versions"]!.AsArray().Select(v => (v![0]!.GetValue<string>(), v[1]!.GetValue<string>(), v[2]!.GetValue<string>())).OrderBy(v => v.Item1, StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(versions), $"{when}: versions shown [{string.Join("; ", versions)}], the registry's [{string.Join("; ", expected)}]");
    }

    /// <summary>The model card shown for <paramref name="version"/>, field by field, against <c>…/versions/{v}/card</c>; its metrics unrounded to 1e-9.</summary>
    static async Task AssertModelCardAsync(IPage page, GatewayClient admin, string model, string version)
    {
        var card = (await admin.SendAsync(HttpMethod.Get, $"api/registry/models/{model}/versions/{version}/card", null, null, CancellationToken.None))!;
        var shown = JsonNode.Parse(await page.EvaluateAsync<string>("""
            () => {
              const c = document.querySelector("[data-testid=model-card]");
              return JSON.stringify({ fields: [...c.querySelectorAll("[data-testid=card-fields] tr[data-field]")].map(tr => [tr.dataset.field, tr.cells[1].innerText.trim()]),
                metrics: [...c.querySelectorAll("[data-testid=card-metrics] tr[data-metric]")].map(tr => [tr.dataset.metric, JSON.parse(tr.dataset.value)]) });
            }
            """))!;
        static string Text(JsonNode? n) => n?.GetValue<string>() is { Length: > 0 } s ? s.Trim() : "—";
        static string Specs(JsonNode? list) => string.Join(", ", list!.AsArray().Select(s => $"{s!["name"]!.GetValue<string>()} ({s["type"]!.GetValue<string>()})"));
        var aliases = card["aliases"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        var checks = card["metrics"]!["checks"]?.AsObject().Select(c => $"{c.Key}: {(c.Value!.GetValue<bool>() ? "passed" : "failed")}") ?? [];
        var expected = new List<(string, string)>
        {
            ("model", Text(card["model"])), ("version", Text(card["version"])), ("stage", Text(card["stage"])),
            ("aliases", aliases.Count == 0 ? "none" : string.Join(", ", aliases)),
            ("registeredAt", (await LocalTimesAsync(page, [card["registeredAt"]!.GetValue<string>()]))[0]), ("registeredBy", Text(card["registeredBy"])),
            ("description", Text(card["description"])), ("intendedUse", Text(card["intendedUse"])), ("limitations", Text(card["limitations"])),
            ("data.datasetVersion", Text(card["data"]!["datasetVersion"])), ("data.featureSetVersion", Text(card["data"]!["featureSetVersion"])),
            ("data.inputs", Specs(card["data"]!["inputs"])), ("data.outputs", Specs(card["data"]!["outputs"])),
            ("lineage.trainingRunId", Text(card["lineage"]!["trainingRunId"])), ("lineage.codeVersion", Text(card["lineage"]!["codeVersion"])),
            ("lineage.artifactSha256", Text(card["lineage"]!["artifactSha256"])),
            ("checks", string.Join(", ", checks) is { Length: > 0 } c ? c : "—"), ("history", $"{card["history"]!.AsArray().Count} events"),
        };
        var fields = shown["fields"]!.AsArray().Select(f => (f![0]!.GetValue<string>(), f[1]!.GetValue<string>())).ToList();
        Assert.Equal(expected.Select(e => e.Item1), fields.Select(f => f.Item1));
        foreach (var ((field, want), (_, got)) in expected.Zip(fields))
        {
            Assert.True(want == got, $"model card of {version}, {field}: the page shows '{got}', the registry's card has '{want}'");
        }

        var overall = card["metrics"]!["overall"]!.AsObject().OrderBy(m => m.Key, StringComparer.Ordinal).ToList();
        var metrics = shown["metrics"]!.AsArray().Select(m => (m![0]!.GetValue<string>(), m[1]!.GetValue<double>())).ToList();
        Assert.Equal(overall.Select(m => m.Key), metrics.Select(m => m.Item1));
        AssertSeries(overall.Select(m => (double?)m.Value!.GetValue<double>()), metrics.Select(m => (double?)m.Item2), $"model card of {version}: metrics");
    }

    /// <summary>The "metric across versions" chart for <paramref name="metric"/> (chosen in its select): x is each version's place in registration order, y its registered metric.</summary>
    static async Task AssertMetricAcrossVersionsAsync(IPage page, JsonNode model, string metric)
    {
        var container = page.Locator("[data-testid=model-detail] [data-testid=metric-across-versions]");
        await page.Locator("[data-testid=model-detail] select[aria-label=metric]").SelectOptionAsync(metric);
        var chartElement = container.Locator($".chart[data-chart='{metric} across versions']");
        await chartElement.WaitForAsync(new() { Timeout = 10_000 });
        var versions = model["versions"]!.AsObject().Select(v => v.Value!)
            .OrderBy(v => v["registeredAt"]!.GetValue<DateTimeOffset>().ToUnixTimeMilliseconds()).ThenBy(v => v["registration"]!["version"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        Assert.Equal(versions.Select(v => v["registration"]!["version"]!.GetValue<string>()),
            JsonNode.Parse(await container.GetAttributeAsync("data-versions") ?? "[]")!.AsArray().Select(v => v!.GetValue<string>()));
        var chart = await ChartAsync(chartElement);
        AssertSeries(versions.Select((_, i) => (double?)(i + 1)), chart.X, $"{metric} across versions: x");
        AssertSeries(versions.Select(v => v["registration"]!["metrics"]!["overall"]![metric]?.GetValue<double>()), chart.Series[metric], $"{metric} across versions");
    }

    /// <summary>
    /// A grid search of two trials (max_depth 2 and 3) with the candidate's recipe, data and label: training records each
    /// trial as a child run of the search's run. Returns the search's run id.
    /// </summary>
    static async Task<Guid> StartSearchAsync(GatewayClient admin, string model, string candidateRun)
    {
        var parameters = (await admin.GetRunAsync(Guid.Parse(candidateRun), CancellationToken.None))!["run"]!["parameters"]!;
        return await admin.StartRunAsync(new JsonObject
        {
            ["modelName"] = model,
            ["featureSetVersion"] = parameters["featureSetVersion"]!.GetValue<string>(),
            ["datasetVersion"] = parameters["datasetVersion"]!.GetValue<string>(),
            ["labelName"] = parameters["labelName"]!.GetValue<string>(),
            ["algorithm"] = "bagged_gbdt",
            ["hyperparameters"] = new JsonObject { ["members"] = 3, ["rounds"] = 60, ["learning_rate"] = 0.05, ["min_samples_leaf"] = 20 },
            ["searchSpace"] = new JsonArray(new JsonObject { ["name"] = "max_depth", ["values"] = new JsonArray(2, 3) }),
            ["seed"] = 7,
            ["requestedBy"] = "e2e-dashboard",
        }, CancellationToken.None);
    }

    /// <summary>
    /// The search's run page lists its trials, each linked, with the name, status, parameters and validation AUROC
    /// (unrounded on its row) its own run records; the runs table lists the search's run and not its trials, and a
    /// trial's page, opened from the search's, names it.
    /// </summary>
    static async Task AssertSearchShownAsync(DashboardBrowser browser, IPage page, GatewayClient admin, Guid searchRun)
    {
        JsonNode? view = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            view = await admin.GetRunAsync(searchRun, CancellationToken.None);
            return view?["run"]?["status"]?.GetValue<string>() is "Completed" or "Failed" or "Cancelled";
        }, $"search run {searchRun} finishes", TimeSpan.FromMinutes(3));
        var run = view!["run"]!;
        Assert.True(run["status"]!.GetValue<string>() == "Completed", $"search run {searchRun} is {run["status"]}: {run["failureReason"]}");
        var children = run["childRunIds"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Equal(2, children.Count);

        await browser.ShowAsync(page, $"runs/{searchRun}", "4c-runs-search");
        var rows = JsonNode.Parse(await page.EvaluateAsync<string>("""
            () => JSON.stringify([...document.querySelectorAll("[data-testid=child-runs] tbody tr")].map(tr => ({
              id: tr.dataset.run, href: tr.cells[0].querySelector("a")?.getAttribute("href"), name: tr.cells[1].innerText.trim(), status: tr.cells[2].innerText.trim(),
              parameters: tr.cells[3].innerText.trim(), auroc: JSON.parse(tr.dataset.validationAuroc) })))
            """))!.AsArray();
        Assert.Equal(children.Order(StringComparer.Ordinal), rows.Select(r => r!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        foreach (var row in rows)
        {
            var id = row!["id"]!.GetValue<string>();
            var child = (await admin.GetRunAsync(Guid.Parse(id), CancellationToken.None))!["run"]!;
            Assert.Equal(searchRun.ToString(), child["parentRunId"]!.GetValue<string>());
            Assert.Equal($"#/runs/{id}", row["href"]!.GetValue<string>());
            Assert.Equal((child["name"]!.GetValue<string>(), child["status"]!.GetValue<string>()), (row["name"]!.GetValue<string>(), row["status"]!.GetValue<string>()));
            Assert.True(JsonNode.DeepEquals(child["parameters"], JsonNode.Parse(row["parameters"]!.GetValue<string>())),
                $"trial {id}: parameters shown {row["parameters"]}, recorded {child["parameters"]!.ToJsonString()}");
            Assert.Equal(child["metrics"]!["validation_auroc"]!.GetValue<double>(), row["auroc"]!.GetValue<double>(), 1e-9);
        }

        // The runs table lists runs, not trials (GET /api/training/runs leaves child runs out); the search's run is there.
        Assert.Equal(1, await page.Locator($"[data-testid=runs-table] tr[data-run='{searchRun}']").CountAsync());
        foreach (var id in children)
        {
            Assert.Equal(0, await page.Locator($"[data-testid=runs-table] tr[data-run='{id}']").CountAsync());
        }

        // A trial's own page, opened from the search's: it names the search's run.
        await page.Locator("[data-testid=child-runs]").GetByRole(AriaRole.Link, new() { Name = children[0][..8], Exact = true }).ClickAsync();
        await page.Locator("[data-testid=parent-run] a").Filter(new() { HasText = searchRun.ToString() }).WaitForAsync(new() { Timeout = 30_000 });
        await NoErrorsAsync(page, "runs (search)");
    }
}
