using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Monitoring;
using Mlops.Contracts.Registry;
using Mlops.Kafka.Producing;
using Mlops.Monitoring.Performance;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Monitoring.Tests.Performance;

/// <summary>
/// Delayed outcomes on real brokers with the shipped configuration (model <c>deterioration</c>: label
/// <c>deterioration_24h</c>, horizon 24 h): predictions of three past hours, then their labels — half naming the
/// prediction, half only the entity — are joined, each hour is scored once its horizon has passed, the scores match
/// scikit-learn, and the first hour that ranks worse than the version's evaluation raises <c>PerformanceDegraded</c>.
/// </summary>
public sealed class PerformanceMonitoringTests(MonitoringAppFactory factory) : IClassFixture<MonitoringAppFactory>
{
    const string Model = "deterioration";
    const string Label = "deterioration_24h";

    internal sealed record Row(string PredictionId, string Entity, DateTimeOffset PredictedAt, double Probability, int Outcome, bool Labelled);

    [Fact]
    public async Task DelayedLabels_ByPredictionIdAndByEntityWithinHorizon_ScoredAsSklearnAndDegradationAlertedOnce()
    {
        const string version = "3.0.0";
        var random = new Random(31);
        var received = new ConcurrentQueue<PerformanceDegraded>();
        var bus = factory.Services.GetRequiredService<IBus>();
        var listener = bus.ConnectReceiveEndpoint(PlatformInfrastructure.UniqueName("performance-listener"), e => e.Handler<PerformanceDegraded>(context =>
        {
            received.Enqueue(context.Message);
            return Task.CompletedTask;
        }));
        await listener.Ready;
        var http = factory.CreateClient();

        // The version is registered with an evaluation AUROC of 0.85 (no profile: drift is not judged, performance is).
        await bus.Publish(Registration(version, auroc: 0.85));

        // Three past hours, 30 hours ago (their 24 h horizon and 1 h lateness have passed): the model ranks well in the
        // first, not at all in the second and third.
        var now = DateTimeOffset.UtcNow;
        var first = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-30);
        var rows = new List<Row>();
        rows.AddRange(Hour(random, first, 600, signal: 2.5));
        rows.AddRange(Hour(random, first.AddHours(1), 600, signal: 0));
        rows.AddRange(Hour(random, first.AddHours(2), 600, signal: 0));
        var producer = factory.Upstream.Services.GetRequiredService<IEventProducer>();
        await Task.WhenAll(rows.Select(r => producer.ProduceAsync(factory.PredictionsTopic, r.Entity, new PredictionMade
        {
            EntityId = r.Entity,
            ModelName = Model,
            ModelVersion = version,
            Probability = r.Probability,
            Uncertainty = 0,
            Fallback = false,
            FeatureEventTime = r.PredictedAt,
            FeatureSetVersion = "vitals-test",
            PredictedAt = r.PredictedAt,
            PredictionId = r.PredictionId,
            Variant = ModelAliases.Champion,
        })));

        // The outcomes: every other one names its prediction; the rest name only the entity, at an event time inside
        // the horizon. Decoys that must not count: another label's name, and an outcome 25 h after the prediction.
        var labels = new List<LabelRecorded>();
        foreach (var (row, i) in rows.Select((r, i) => (r, i)))
        {
            if (row.Labelled)
            {
                labels.Add(new LabelRecorded
                {
                    LabelId = $"label-{row.PredictionId}",
                    EntityId = row.Entity,
                    Name = Label,
                    Value = row.Outcome,
                    EventTime = row.PredictedAt.AddHours(i % 2 == 0 ? 23 : 6),
                    PredictionId = i % 2 == 0 ? row.PredictionId : null,
                });
            }
            else
            {
                labels.Add(new LabelRecorded { LabelId = $"other-{row.PredictionId}", EntityId = row.Entity, Name = "sepsis_48h", Value = 1, EventTime = row.PredictedAt.AddHours(1) });
                labels.Add(new LabelRecorded { LabelId = $"late-{row.PredictionId}", EntityId = row.Entity, Name = Label, Value = 1, EventTime = row.PredictedAt.AddHours(25) });
            }
        }

        await Task.WhenAll(labels.Select(l => producer.ProduceAsync(factory.LabelsTopic, l.EntityId, l)));
        var labelledAt = DateTimeOffset.UtcNow;

        var windows = new List<JsonElement>();
        await Eventually.WaitUntilAsync(async () =>
        {
            windows = (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{Model}/performance?version={version}&variant=champion")).EnumerateArray().ToList();
            return windows.Count >= 3;
        }, "the three past hours were scored", TimeSpan.FromMinutes(3));
        Assert.Equal(3, windows.Count);
        windows.Reverse();

        var expected = ReferenceSklearn.Compute(Enumerable.Range(0, 3).Select(h =>
        {
            var labelled = rows.Where(r => r.Labelled && r.PredictedAt >= first.AddHours(h) && r.PredictedAt < first.AddHours(h + 1)).ToList();
            return (labelled.Select(r => r.Probability).ToArray(), labelled.Select(r => r.Outcome).ToArray());
        }).ToList());
        for (var h = 0; h < 3; h++)
        {
            var window = windows[h];
            var hour = rows.Where(r => r.PredictedAt >= first.AddHours(h) && r.PredictedAt < first.AddHours(h + 1)).ToList();
            Assert.Equal(first.AddHours(h), window.GetProperty("windowStart").GetDateTimeOffset());
            Assert.Equal(hour.Count, window.GetProperty("predictions").GetInt32());
            Assert.Equal(hour.Count(r => r.Labelled), window.GetProperty("labeled").GetInt32());
            Assert.Equal(hour.Count(r => r.Labelled && r.Outcome == 1), window.GetProperty("positives").GetInt32());
            foreach (var (field, reference) in new[] { ("auroc", "auroc"), ("auprc", "ap"), ("brier", "brier"), ("ece", "ece") })
            {
                var ours = window.GetProperty(field).GetDouble();
                var theirs = expected[h].GetProperty(reference).GetDouble();
                Assert.True(Math.Abs(ours - theirs) <= 1e-9, $"hour {h} {field}: scikit-learn {theirs:R}, monitoring {ours:R}");
            }

            // The delay runs from the prediction to when the outcome was recorded (produced just now).
            var delay = TimeSpan.FromSeconds(window.GetProperty("medianDelaySeconds").GetDouble());
            Assert.InRange(delay, now - first.AddHours(h + 1), labelledAt - first.AddHours(h) + TimeSpan.FromMinutes(1));
            Assert.Equal(0.85, window.GetProperty("baselineAuroc").GetDouble());
            Assert.Equal("version", window.GetProperty("baselineSource").GetString());
        }

        Assert.InRange(windows[0].GetProperty("coverage").GetDouble(), 0.85, 0.95);
        Assert.False(windows[0].GetProperty("degraded").GetBoolean());
        Assert.True(windows[0].GetProperty("auroc").GetDouble() > 0.85);
        Assert.True(windows[1].GetProperty("degraded").GetBoolean());
        Assert.True(windows[2].GetProperty("degraded").GetBoolean());

        // One alert: the third hour degraded within the debounce period of the second.
        await Eventually.WaitUntilAsync(() => received.Any(a => a.ModelVersion == version), "PerformanceDegraded reached the bus");
        var alert = Assert.Single(received, a => a.ModelVersion == version);
        Assert.Equal((Model, ModelAliases.Champion, first.AddHours(1)), (alert.ModelName, alert.Variant, alert.WindowStart));
        Assert.Equal(windows[1].GetProperty("windowId").GetInt64(), alert.WindowId);
        Assert.Equal((0.85, "version", 0.05), (alert.BaselineAuroc, alert.BaselineSource, alert.Margin));
        Assert.Equal(windows[1].GetProperty("auroc").GetDouble(), alert.Auroc);
        var history = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/alerts?model={Model}&type=PerformanceDegraded");
        var entry = Assert.Single(history.EnumerateArray(), a => a.GetProperty("modelVersion").GetString() == version);
        Assert.Equal(alert.AlertId, entry.GetProperty("alertId").GetGuid());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/monitoring/performance/{alert.WindowId}")).StatusCode);

        // The scored windows' predictions leave the search for ready windows (a round's cost follows the open ones).
        await using var open = factory.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("""
            SELECT count(*) FILTER (WHERE NOT performance_window_closed), count(*) FROM prediction_samples
            WHERE model_name = $1 AND model_version = $2 AND predicted_at >= $3 AND predicted_at < $4
            """);
        open.Parameters.Add(new() { Value = Model });
        open.Parameters.Add(new() { Value = version });
        open.Parameters.Add(new() { Value = first });
        open.Parameters.Add(new() { Value = first.AddHours(3) });
        await using var reader = await open.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(0L, reader.GetInt64(0));
        Assert.True(reader.GetInt64(1) > 0);
    }

    [Fact]
    public async Task Baseline_VersionWithoutItsOwnEvaluation_FallsBackToTheVersionThatServedChampionMostRecently()
    {
        // A model of its own, so no other test's predictions decide which version served the champion alias.
        var model = PlatformInfrastructure.UniqueName("baseline-fallback");
        var store = factory.Services.GetRequiredService<PerformanceStore>();
        await store.SaveBaselineAsync(model, "1.0.0", new ModelMetrics { Overall = new Dictionary<string, double> { ["auroc"] = 0.74 } }, CancellationToken.None);
        await store.SaveBaselineAsync(model, "2.0.0", new ModelMetrics { Overall = new Dictionary<string, double> { ["auroc"] = 0.82 } }, CancellationToken.None);
        // Registered without an AUROC (an evaluation that could not compute one): no baseline of its own.
        await store.SaveBaselineAsync(model, "3.0.0", new ModelMetrics { Overall = new Dictionary<string, double> { ["brier"] = 0.1 } }, CancellationToken.None);

        // 1.0.0 served champion, then 2.0.0 did; 3.0.0 predicted last, but as the challenger, which is not the champion.
        var now = DateTimeOffset.UtcNow;
        var producer = factory.Upstream.Services.GetRequiredService<IEventProducer>();
        foreach (var (version, variant, at) in new[] { ("1.0.0", ModelAliases.Champion, now.AddHours(-2)), ("2.0.0", ModelAliases.Champion, now.AddHours(-1)), ("3.0.0", ModelAliases.Challenger, now) })
        {
            await producer.ProduceAsync(factory.PredictionsTopic, $"baseline-patient-{version}", new PredictionMade
            {
                EntityId = $"baseline-patient-{version}", ModelName = model, ModelVersion = version, Probability = 0.3, Uncertainty = 0, Fallback = false,
                FeatureEventTime = at, FeatureSetVersion = "vitals-test", PredictedAt = at, PredictionId = Guid.NewGuid().ToString(), Variant = variant,
            });
        }

        var dataSource = factory.Services.GetRequiredService<NpgsqlDataSource>();
        await Eventually.WaitUntilAsync(async () =>
        {
            await using var stored = dataSource.CreateCommand("SELECT count(*) FROM prediction_samples WHERE model_name = $1");
            stored.Parameters.Add(new() { Value = model });
            return (long)(await stored.ExecuteScalarAsync())! == 3;
        }, "the three predictions were stored");

        await using var connection = await store.OpenAsync(CancellationToken.None);
        Assert.Equal((0.82, "champion"), await store.BaselineAsync(connection, model, "3.0.0", CancellationToken.None));
        Assert.Equal((0.74, "version"), await store.BaselineAsync(connection, model, "1.0.0", CancellationToken.None));
        Assert.Null(await store.BaselineAsync(connection, PlatformInfrastructure.UniqueName("never-registered"), "1.0.0", CancellationToken.None));
    }

    [Fact]
    public async Task AlertQuery_UnknownTypeAndBadLimit_ValidationProblemNamingFields()
    {
        var response = await factory.CreateClient().GetAsync("/api/monitoring/alerts?type=Everything&limit=5000");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("type", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("limit", out _));
    }

    // Outcomes at a 30 % base rate; scores carry the outcome with the given strength (0: none). One in ten predictions never gets its outcome.
    internal static IEnumerable<Row> Hour(Random random, DateTimeOffset start, int count, double signal) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var outcome = random.NextDouble() < 0.3 ? 1 : 0;
            var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            var probability = 1 / (1 + Math.Exp(-(normal + signal * (outcome - 0.5) - 0.85)));
            return new Row(
                Guid.NewGuid().ToString(), $"perf-patient-{Guid.NewGuid():N}", start.AddSeconds(3599.0 * i / count), probability, outcome,
                Labelled: random.NextDouble() >= 0.1);
        }).ToList();

    internal static ModelVersionRegistered Registration(string version, double auroc) => new()
    {
        ModelName = Model,
        Version = version,
        ArtifactSha256 = new string('b', 64),
        Signature = new ModelSignature
        {
            Inputs = [new FeatureSpec { Name = "heart_rate", Type = "float32" }],
            Outputs = [new FeatureSpec { Name = "probability", Type = "float32" }],
        },
        Metrics = new ModelMetrics { Overall = new Dictionary<string, double> { ["auroc"] = auroc } },
        DatasetVersion = "ds-test",
        FeatureSetVersion = "vitals-test",
        TrainingRunId = Guid.NewGuid().ToString(),
        CodeVersion = "test",
        RegisteredBy = "tests",
    };
}
