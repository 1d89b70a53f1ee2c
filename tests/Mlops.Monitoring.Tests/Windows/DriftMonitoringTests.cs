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
using Mlops.Testing;
using Npgsql;

namespace Mlops.Monitoring.Tests.Windows;

/// <summary>
/// The whole drift path on real brokers: a registered version's profile is copied from training, feature vectors and
/// predictions arrive on Kafka, a count window of the shipped size (2,000) is judged, and <c>DriftDetected</c> reaches the bus.
/// </summary>
public sealed class DriftMonitoringTests(MonitoringAppFactory factory) : IClassFixture<MonitoringAppFactory>
{
    const int WindowSize = 2000;
    const string Model = "deterioration";
    const string Version = "2.1.0";
    static readonly string[] Numeric = ["heart_rate", "respiratory_rate", "spo2", "temperature"];

    [Fact]
    public async Task InjectedShift_OneFeature_DriftReportedForThatFeatureOnlyWithinOneWindowThenDebounced()
    {
        var random = new Random(7);
        var received = new ConcurrentQueue<DriftDetected>();
        var bus = factory.Services.GetRequiredService<IBus>();
        var listener = bus.ConnectReceiveEndpoint(PlatformInfrastructure.UniqueName("drift-listener"), e => e.Handler<DriftDetected>(context =>
        {
            received.Enqueue(context.Message);
            return Task.CompletedTask;
        }));
        await listener.Ready;
        var http = factory.CreateClient();

        // The version is registered: monitoring copies its training run's profile.
        var runId = Guid.NewGuid();
        factory.Training.Put(runId, Profile(random, runId));
        await bus.Publish(Registration(runId));
        await Eventually.WaitUntilAsync(
            async () => (await http.GetAsync($"/api/monitoring/models/{Model}/versions/{Version}/profile")).StatusCode == HttpStatusCode.OK,
            "the reference profile was stored");

        // Window 1: heart rate shifted by 1.5 standard deviations, everything else as in training.
        await ProduceWindowAsync(random, heartRateShift: 15);
        var first = await WaitForCountWindowsAsync(http, 1);
        var window = first.Single();
        Assert.Equal(WindowSize, window.GetProperty("samples").GetInt32());
        var results = window.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("feature").GetString()!);
        Assert.Equal(Numeric.Append("consciousness").Append("prediction").Order(), results.Keys.Order());
        Assert.True(results["heart_rate"].GetProperty("drifted").GetBoolean(), "heart_rate drifted");
        Assert.Equal("wasserstein", results["heart_rate"].GetProperty("method").GetString());
        Assert.Equal("jensenshannon", results["consciousness"].GetProperty("method").GetString());
        foreach (var other in results.Keys.Where(k => k != "heart_rate"))
        {
            Assert.False(results[other].GetProperty("drifted").GetBoolean(), $"{other} must not drift");
        }

        await Eventually.WaitUntilAsync(() => received.Any(a => a.ModelName == Model), "DriftDetected reached the bus");
        var alert = Assert.Single(received, a => a.ModelName == Model);
        Assert.Equal((Model, Version, ModelAliases.Champion, "count"), (alert.ModelName, alert.ModelVersion, alert.Variant, alert.WindowKind));
        Assert.Equal(window.GetProperty("windowId").GetInt64(), alert.WindowId);
        var evidence = Assert.Single(alert.Features);
        Assert.Equal(("heart_rate", "wasserstein", 0.1), (evidence.Feature, evidence.Method, evidence.Threshold));
        Assert.True(evidence.Score >= 0.1);
        Assert.False(alert.DatasetDrift);

        // Window 2: nothing drifts. Window 3: the same shift again, within the debounce period: recorded, not re-alerted.
        await ProduceWindowAsync(random, heartRateShift: 0);
        var second = (await WaitForCountWindowsAsync(http, 2)).First();
        Assert.All(second.GetProperty("features").EnumerateArray(), f => Assert.False(f.GetProperty("drifted").GetBoolean()));
        await ProduceWindowAsync(random, heartRateShift: 15);
        var third = (await WaitForCountWindowsAsync(http, 3)).First();
        Assert.Equal(1, third.GetProperty("driftedFeatures").GetInt32());
        var alerts = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/alerts/drift?model={Model}");
        Assert.Equal(1, alerts.GetArrayLength());
        Assert.Single(received, a => a.ModelName == Model);
    }

    [Fact]
    public async Task PastHoursReplayed_TimeWindows_JudgedOnceWithAllTheirPredictionsAndDatasetDrift()
    {
        // A model of its own, so its alerts never meet the other test's.
        const string model = "deterioration-replay";
        const string version = "2.2.0";
        var random = new Random(13);
        var http = factory.CreateClient();
        var runId = Guid.NewGuid();
        factory.Training.Put(runId, Profile(random, runId));
        await factory.Services.GetRequiredService<IBus>().Publish(Registration(runId, model, version));
        await Eventually.WaitUntilAsync(
            async () => (await http.GetAsync($"/api/monitoring/models/{model}/versions/{version}/profile")).StatusCode == HttpStatusCode.OK,
            "the reference profile was stored");

        // Two past hours arrive late, as from a backlog: every vital shifted in the first (dataset drift), none in the second.
        var hour = new DateTimeOffset(DateTimeOffset.UtcNow.Year, DateTimeOffset.UtcNow.Month, DateTimeOffset.UtcNow.Day, DateTimeOffset.UtcNow.Hour, 0, 0, TimeSpan.Zero).AddHours(-5);
        // (1,900 predictions in all: fewer than a count window.)
        await ProduceAsync(factory, random, model, version, 400, hour.AddMinutes(20), heartRateShift: 15, otherShift: 1.5);
        await ProduceAsync(factory, random, model, version, 1500, hour.AddMinutes(80), heartRateShift: 0, otherShift: 0);

        var windows = new List<JsonElement>();
        await Eventually.WaitUntilAsync(async () =>
        {
            var body = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/drift?version={version}&kind=time");
            windows = body.EnumerateArray().ToList();
            return windows.Count >= 2;
        }, "both past hours were judged");

        Assert.Equal(2, windows.Count);
        var (later, earlier) = (windows[0], windows[1]);
        Assert.Equal(hour, earlier.GetProperty("windowStart").GetDateTimeOffset());
        Assert.Equal(hour.AddHours(1), earlier.GetProperty("windowEnd").GetDateTimeOffset());
        Assert.Equal((400, 1500), (earlier.GetProperty("samples").GetInt32(), later.GetProperty("samples").GetInt32()));
        Assert.True(earlier.GetProperty("datasetDrift").GetBoolean());
        Assert.Equal(4, earlier.GetProperty("driftedFeatures").GetInt32());
        Assert.False(later.GetProperty("datasetDrift").GetBoolean());
        Assert.Equal(0, later.GetProperty("driftedFeatures").GetInt32());
        var count = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/drift?version={version}&kind=count");
        Assert.Equal(0, count.GetArrayLength());

        // Judged windows leave the search for ready ones, so a round's cost follows the open windows, not the history.
        await using var open = factory.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "SELECT count(*) FILTER (WHERE NOT drift_window_closed), count(*) FROM prediction_samples WHERE model_name = $1");
        open.Parameters.Add(new() { Value = model });
        await using var reader = await open.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((0L, 1900L), (reader.GetInt64(0), reader.GetInt64(1)));
    }

    [Fact]
    public async Task VersionWithoutProfile_PastTimeAndCountWindows_RecordedWithoutAVerdictAndLeaveTheSearch()
    {
        // Served without a reference profile (a local model, say): no profile ever comes for it.
        const string model = "deterioration-unprofiled";
        const string version = "0.9.0";
        var http = factory.CreateClient();
        var now = DateTimeOffset.UtcNow;
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-4);
        await ProduceAsync(factory, new Random(17), model, version, WindowSize, hour.AddMinutes(10), heartRateShift: 0, otherShift: 0);

        // Past the shipped profile wait (an hour after the window's end), so both are recorded at once.
        var windows = new List<JsonElement>();
        await Eventually.WaitUntilAsync(async () =>
        {
            var body = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/drift?version={version}");
            windows = body.EnumerateArray().ToList();
            return windows.Count >= 2;
        }, "the past hour and the count window were recorded");

        Assert.Equal(["count", "time"], windows.Select(w => w.GetProperty("kind").GetString()!).Order());
        foreach (var window in windows)
        {
            Assert.Equal(WindowSize, window.GetProperty("samples").GetInt32());
            Assert.Equal(JsonValueKind.Null, window.GetProperty("datasetDrift").ValueKind);
            Assert.Equal(0, window.GetProperty("evaluatedFeatures").GetInt32());
        }

        Assert.Equal(hour, windows.Single(w => w.GetProperty("kind").GetString() == "time").GetProperty("windowStart").GetDateTimeOffset());
        await using var open = factory.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "SELECT count(*) FILTER (WHERE NOT drift_window_closed), count(*) FILTER (WHERE count_window_id IS NULL) FROM prediction_samples WHERE model_name = $1");
        open.Parameters.Add(new() { Value = model });
        await using var reader = await open.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((0L, 0L), (reader.GetInt64(0), reader.GetInt64(1)));
    }

    [Fact]
    public async Task ChampionAndChallengerOfOneVersion_OnlyTheChallengersFeatureShifted_DriftReportedForTheChallengerOnly()
    {
        // One version served as both variants (a model of its own): the windows and their verdicts can only be told
        // apart by the variant, and both are judged against the same training profile.
        const string model = "deterioration-variants";
        const string version = "3.0.0";
        var http = factory.CreateClient();
        var runId = Guid.NewGuid();
        factory.Training.Put(runId, Profile(new Random(23), runId));
        await factory.Services.GetRequiredService<IBus>().Publish(Registration(runId, model, version));
        await Eventually.WaitUntilAsync(
            async () => (await http.GetAsync($"/api/monitoring/models/{model}/versions/{version}/profile")).StatusCode == HttpStatusCode.OK,
            "the reference profile was stored");
        var since = DateTimeOffset.UtcNow;

        // Both variants' predictions arrive at the same time (a window per variant filling side by side); only the
        // challenger's entities have their heart rate shifted by 1.5 standard deviations.
        await Task.WhenAll(
            ProduceAsync(factory, new Random(29), model, version, WindowSize, DateTimeOffset.UtcNow, heartRateShift: 0, otherShift: 0, ModelAliases.Champion),
            ProduceAsync(factory, new Random(31), model, version, WindowSize, DateTimeOffset.UtcNow, heartRateShift: 15, otherShift: 0, ModelAliases.Challenger));

        var windows = new List<JsonElement>();
        await Eventually.WaitUntilAsync(async () =>
        {
            windows = (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/drift?version={version}&kind=count")).EnumerateArray().ToList();
            return windows.Count >= 2;
        }, "a count window of each variant was judged");

        Assert.Equal([ModelAliases.Challenger, ModelAliases.Champion], windows.Select(w => w.GetProperty("variant").GetString()!).Order());
        var byVariant = windows.ToDictionary(w => w.GetProperty("variant").GetString()!);
        foreach (var window in windows)
        {
            Assert.Equal(WindowSize, window.GetProperty("samples").GetInt32());
            // The five input features; the prediction is judged too but is no feature of the dataset share.
            Assert.Equal(5, window.GetProperty("evaluatedFeatures").GetInt32());
        }

        var challenger = byVariant[ModelAliases.Challenger].GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("feature").GetString()!);
        Assert.Equal(["heart_rate"], challenger.Where(f => f.Value.GetProperty("drifted").GetBoolean()).Select(f => f.Key));
        Assert.Equal(1, byVariant[ModelAliases.Challenger].GetProperty("driftedFeatures").GetInt32());
        Assert.All(byVariant[ModelAliases.Champion].GetProperty("features").EnumerateArray(),
            f => Assert.False(f.GetProperty("drifted").GetBoolean(), $"the champion's {f.GetProperty("feature").GetString()} must not drift"));
        Assert.Equal(0, byVariant[ModelAliases.Champion].GetProperty("driftedFeatures").GetInt32());

        // The variant filter gives each variant's windows alone.
        var championOnly = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/drift?version={version}&variant=champion");
        Assert.Equal([byVariant[ModelAliases.Champion].GetProperty("windowId").GetInt64()], championOnly.EnumerateArray().Select(w => w.GetProperty("windowId").GetInt64()));

        // The view a rollout's analysis reads: the challenger's newest window with 1 of 5 features drifted, the champion's with none.
        var variants = (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/variants?from={Uri.EscapeDataString(since.ToString("O"))}"))
            .EnumerateArray().ToDictionary(v => v.GetProperty("variant").GetString()!);
        Assert.Equal(1.0 / 5, variants[ModelAliases.Challenger].GetProperty("drift").GetProperty("driftedShare").GetDouble(), 1e-12);
        Assert.Equal(0, variants[ModelAliases.Champion].GetProperty("drift").GetProperty("driftedShare").GetDouble());

        // One alert, the challenger's, naming heart rate only.
        var alerts = (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/alerts/drift?model={model}")).EnumerateArray().ToList();
        var alert = Assert.Single(alerts).GetProperty("alert");
        Assert.Equal((version, ModelAliases.Challenger), (alert.GetProperty("modelVersion").GetString(), alert.GetProperty("variant").GetString()));
        Assert.Equal(["heart_rate"], alert.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("feature").GetString()));
    }

    [Fact]
    public async Task DriftQuery_BadKindAndLimit_ValidationProblemNamingFields()
    {
        var response = await factory.CreateClient().GetAsync($"/api/monitoring/models/{Model}/drift?kind=weekly&limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("kind", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("limit", out _));
    }

    static async Task<List<JsonElement>> WaitForCountWindowsAsync(HttpClient http, int count)
    {
        var windows = new List<JsonElement>();
        await Eventually.WaitUntilAsync(async () =>
        {
            var body = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{Model}/drift?version={Version}&variant=champion&kind=count");
            windows = body.EnumerateArray().ToList();
            return windows.Count >= count;
        }, $"{count} count window(s) were judged");
        Assert.Equal(count, windows.Count);
        return windows;
    }

    Task ProduceWindowAsync(Random random, double heartRateShift) =>
        ProduceAsync(factory, random, Model, Version, WindowSize, DateTimeOffset.UtcNow, heartRateShift, otherShift: 0);

    /// <summary>Feature vectors and one variant's predictions on them (the champion's unless told), as the features and inference services would produce.</summary>
    internal static async Task ProduceAsync(
        MonitoringAppFactory monitoring, Random random, string model, string version, int count, DateTimeOffset now, double heartRateShift, double otherShift,
        string variant = ModelAliases.Champion)
    {
        var producer = monitoring.Upstream.Services.GetRequiredService<IEventProducer>();
        var vectors = Enumerable.Range(0, count).Select(i =>
        {
            var entity = $"patient-{random.Next(1_000_000)}";
            return (entity, new FeatureVectorUpdated
            {
                EntityId = entity,
                EntityType = "patient",
                FeatureSetVersion = "vitals-test",
                Values = Row(random, heartRateShift, otherShift).ToDictionary(kv => kv.Key, kv => (double?)kv.Value),
                EventTime = now,
                ComputedAt = now,
            });
        }).ToList();
        var envelopes = await Task.WhenAll(vectors.Select(v => producer.ProduceAsync(monitoring.FeaturesTopic, v.entity, v.Item2)));
        var probabilities = vectors.Select(_ => Probability(random)).ToList();
        await Task.WhenAll(envelopes.Select((envelope, i) => producer.ProduceAsync(monitoring.PredictionsTopic, envelope.Subject, new PredictionMade
        {
            EntityId = envelope.Subject,
            ModelName = model,
            ModelVersion = version,
            Probability = probabilities[i],
            Uncertainty = 0,
            Fallback = false,
            FeatureEventTime = now,
            FeatureSetVersion = "vitals-test",
            PredictedAt = now,
            FeatureEventId = envelope.Id,
            PredictionId = Guid.CreateVersion7().ToString(),
            Variant = variant,
        })));
    }

    static Dictionary<string, double> Row(Random random, double heartRateShift, double otherShift = 0) => new()
    {
        ["heart_rate"] = Normal(random, 80 + heartRateShift, 10),
        ["respiratory_rate"] = Normal(random, 16 + 3 * otherShift, 3),
        ["spo2"] = Normal(random, 96 - 1.5 * otherShift, 1.5),
        ["temperature"] = Normal(random, 37 + 0.5 * otherShift, 0.5),
        ["consciousness"] = random.NextDouble() < 0.1 ? 1 : 0,
    };

    // Scores as a calibrated model would give on this cohort: mostly low risk, few above 0.5.
    static double Probability(Random random) => 1 / (1 + Math.Exp(-Normal(random, -1.5, 0.6)));

    static double Normal(Random random, double mean, double sd) =>
        mean + sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    internal static ReferenceProfile Profile(Random random, Guid runId)
    {
        var rows = Enumerable.Range(0, 5000).Select(_ => Row(random, 0)).ToList();
        return new ReferenceProfile
        {
            TrainingRunId = runId.ToString(),
            FeatureSetVersion = "vitals-test",
            TrainingRows = rows.Count,
            MaxSample = 5000,
            Features = rows[0].Keys.ToDictionary(k => k, k => (IReadOnlyList<double>)rows.Select(r => r[k]).ToList()),
            Predictions = Enumerable.Range(0, 5000).Select(_ => Probability(random)).ToList(),
        };
    }

    internal static ModelVersionRegistered Registration(Guid runId, string model = Model, string version = Version) => new()
    {
        ModelName = model,
        Version = version,
        ArtifactSha256 = new string('a', 64),
        Signature = new ModelSignature
        {
            Inputs = [.. Numeric.Append("consciousness").Select(n => new FeatureSpec { Name = n, Type = "float32" })],
            Outputs = [new FeatureSpec { Name = "probability", Type = "float32" }],
        },
        Metrics = new ModelMetrics { Overall = new Dictionary<string, double> { ["auroc"] = 0.8 } },
        DatasetVersion = "ds-test",
        FeatureSetVersion = "vitals-test",
        TrainingRunId = runId.ToString(),
        CodeVersion = "test",
        RegisteredBy = "tests",
    };
}
