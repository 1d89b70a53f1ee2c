using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Core.Ward;
using Mlops.Contracts.Ingestion;
using Mlops.Contracts.Kafka;
using Mlops.EndToEnd.Tests.Platform;
using Mlops.Features.Computation;
using Mlops.Features.Definitions;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Mlops.EndToEnd.Tests.Replicas;

/// <summary>
/// Two replicas of ingestion, features, inference, training, registry, monitoring and the gateway at once — the first on
/// the shipped ports (the journey's platform), the second started beside them with the same shipped configuration —
/// give the results one replica gives: Kafka partitions split between the members of each consumer group, ingestion's
/// outbox relays and the RabbitMQ consumers compete, the sagas and the event-sourced registry keep their state in
/// PostgreSQL, monitoring stores each prediction once whichever replica consumed it, and either gateway routes an
/// entity to the same model version and variant.
/// Observations for many patients stream in through both ingestion replicas (HTTP) and the raw Kafka topic, in two
/// phases so that every replica's caches are warm before the second phase changes every vector.
/// </summary>
[Collection(JourneyCollection.Name)]
public sealed class TwoReplicasTests(PlatformFixture fixture, ITestOutputHelper output)
{
    const string ModelName = "deterioration";
    static readonly string[] Replicated = ["ingestion", "features", "inference", "training", "registry", "monitoring", "gateway"];

    /// <summary>Consumer groups of the replicated services and the service running them, as shipped.</summary>
    static readonly (string Group, string Service)[] Groups =
    [
        ("ingestion-raw-intake", "ingestion"),
        ("features-streaming", "features"),
        ("features-labels", "features"),
        ("inference-streaming", "inference"),
        ("monitoring-predictions", "monitoring"),
        ("monitoring-features", "monitoring"),
    ];

    [Fact]
    public async Task TwoReplicasOfEachService_GiveTheSameResultsAsOne()
    {
        var total = Stopwatch.StartNew();
        foreach (var line in fixture.StartLog)
        {
            output.WriteLine(line);
        }

        var platform = fixture.Platform;
        var run = Guid.NewGuid().ToString("N")[..8];
        var prefix = $"e2e-rep-{run}-";
        var ward = WardGenerator.Generate(new WardOptions
        {
            Patients = 160,
            Seed = 20261203,
            HistoryHours = 6,
            AssessmentSpreadHours = 4,
            EntityPrefix = prefix,
            LabelName = $"{WardOptions.DefaultLabelName}_rep_{run}",
            SourceSystem = $"e2e-rep-{run}",
        });
        var index = ward.Patients.Select((p, i) => (p.EntityId, i)).ToDictionary(p => p.EntityId, p => p.i, StringComparer.Ordinal);
        var middle = ward.Observations.Min(o => o.EventTime) + (ward.Observations.Max(o => o.EventTime) - ward.Observations.Min(o => o.EventTime)) / 2;
        var phases = new[] { ward.Observations.Where(o => o.EventTime < middle).ToList(), ward.Observations.Where(o => o.EventTime >= middle).ToList() };
        Log($"ward: {ward.Patients.Count} patients, {ward.Observations.Count} observations ({phases[0].Count} + {phases[1].Count} in two phases), " +
            $"every 4th patient's through observations.raw.v1, the rest over HTTP alternating between the ingestion replicas");

        SecondReplicas? replicas = null;
        var clients = new Dictionary<(string, int), GatewayClient>();
        var kafkaBuilder = TestHost.CreateBuilder("e2e-replicas");
        kafkaBuilder.AddPlatformKafka();
        using var kafkaHost = kafkaBuilder.Build();
        await kafkaHost.StartAsync();
        await using var ingestionDb = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("ingestion"));
        await using var featuresDb = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("features"));
        await using var monitoringDb = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("monitoring"));
        List<JsonNode> published = [];
        var definitions = ShippedDefinitions();

        GatewayClient Client(string service, int replica)
        {
            if (!clients.TryGetValue((service, replica), out var client))
            {
                var address = replica == 1 ? platform.Process(service).BaseAddress : replicas![service].BaseAddress;
                // The services themselves take no key; the gateway takes the platform's admin key.
                clients[(service, replica)] = client = new GatewayClient(address, service == "gateway" ? platform.ApiKey : null, TimeSpan.FromMinutes(2));
            }

            return client;
        }

        var journey = new JourneySteps("replicas", Log, services => platform.LogTails(40, services) + Environment.NewLine + replicas?.LogTails(40, services));
        Task<T> Step<T>(string name, Func<Task<T>> action, params string[] services) => journey.RunAsync(name, action, services);

        try
        {
            replicas = await Step("second replicas of ingestion, features, inference, training, registry, monitoring, gateway start (shipped configuration)",
                () => SecondReplicas.StartAsync(platform, Replicated, Log), Replicated);

            await Step("every consumer group splits its partitions between the two replicas", async () =>
            {
                foreach (var (group, service) in Groups)
                {
                    Log($"{group}: {await ConsumerAssignments.WaitForSplitAsync(group, [platform.Process(service), replicas[service]], 3, TimeSpan.FromSeconds(90))}");
                }

                return true;
            }, "ingestion", "features", "inference", "monitoring");

            Assert.Equal(definitions.Version, (await Client("features", 2).GetFeatureDefinitionsAsync(CancellationToken.None))?["version"]?.GetValue<string>());
            using var observationsTail = TopicTail.Open(PlatformInfrastructure.Configuration, Topics.Observations, prefix);
            using var featuresTail = TopicTail.Open(PlatformInfrastructure.Configuration, Topics.Features, prefix);
            using var predictionsTail = TopicTail.Open(PlatformInfrastructure.Configuration, Topics.Predictions, prefix);
            var producer = kafkaHost.Services.GetRequiredService<IEventProducer>();
            var sample = ward.Patients.Where((_, i) => i % 8 == 0).Select(p => p.EntityId).ToList();
            var answers = new Dictionary<string, (HttpStatusCode Status, JsonNode? Answer)>();

            for (var phase = 0; phase < 2; phase++)
            {
                var rows = phases[phase];
                var sent = phases.Take(phase + 1).Sum(p => p.Count);
                await Step($"phase {phase + 1}: {rows.Count} observations in through both ingestion replicas and the raw topic", async () =>
                {
                    var http = rows.Where(r => index[r.EntityId] % 4 != 3).Chunk(1000).ToList();
                    for (var i = 0; i < http.Count; i++)
                    {
                        var outcome = await Client("ingestion", i % 2 + 1).IngestBatchAsync(http[i].Select(r => (r.ObservationId, ObservationCsv.ToJson(r))).ToList(), CancellationToken.None);
                        Assert.True(outcome.Refused.Count == 0, $"{outcome.Refused.Count} refused, e.g. {outcome.Refused.FirstOrDefault()?.Reason}");
                        Assert.Equal(http[i].Length, outcome.Accepted);
                    }

                    await Task.WhenAll(rows.Where(r => index[r.EntityId] % 4 == 3).Select(r => producer.ProduceAsync(Topics.ObservationsRaw, r.EntityId, Raw(r))));
                    return true;
                }, "ingestion");

                await Step($"phase {phase + 1}: every observation stored once by ingestion and by features", async () =>
                {
                    await WithLastState(async () => $"ingestion {await CountAsync(ingestionDb, "observations", prefix)}, features {await CountAsync(featuresDb, "feature_observations", prefix)} of {sent}",
                        () => Eventually.WaitUntilAsync(async () => await CountAsync(ingestionDb, "observations", prefix) == sent && await CountAsync(featuresDb, "feature_observations", prefix) == sent,
                            $"ingestion and features stored all {sent} observations", TimeSpan.FromMinutes(2)));
                    var expected = phases.Take(phase + 1).SelectMany(p => p).Select(o => o.ObservationId).ToHashSet(StringComparer.Ordinal);
                    Assert.True(expected.SetEquals(await IdsAsync(ingestionDb, "observations", prefix)), "ingestion's raw store differs from what was sent");
                    Assert.True(expected.SetEquals(await IdsAsync(featuresDb, "feature_observations", prefix)), "the feature store's observations differ from what was sent");
                    return true;
                }, "ingestion", "features");

                await Step($"phase {phase + 1}: online reads from either features replica give the vector the calculator gives", async () =>
                {
                    var expected = await ExpectedVectorsAsync(featuresDb, definitions, prefix);
                    Assert.Equal(ward.Patients.Count, expected.Count);
                    string? mismatch = null;
                    await WithLastState(() => Task.FromResult(mismatch), () => Eventually.WaitUntilAsync(async () =>
                    {
                        mismatch = null;
                        foreach (var (entity, (asOf, values)) in expected)
                        {
                            for (var replica = 1; replica <= 2 && mismatch is null; replica++)
                            {
                                var (status, served) = await CallAsync(Client("features", replica), HttpMethod.Get, $"api/features/online/{Uri.EscapeDataString(entity)}", null);
                                var why = status == HttpStatusCode.OK ? Mismatch(served, asOf, values) : $"{status} {served?.ToJsonString()}";
                                mismatch = why is null ? null : $"features replica {replica}, {entity}: {why}";
                            }

                            if (mismatch is not null)
                            {
                                return false;
                            }
                        }

                        return true;
                    }, "both features replicas serve every patient's current vector", TimeSpan.FromSeconds(30)));
                    return true;
                }, "features");

                await Step($"phase {phase + 1}: both inference replicas have scored every feature event", async () =>
                {
                    await Eventually.WaitUntilAsync(() => TopicTail.GroupCaughtUp(PlatformInfrastructure.Configuration, "inference-streaming", Topics.Features),
                        "inference-streaming committed the end of features.v1", TimeSpan.FromMinutes(2));
                    return true;
                }, "inference");

                answers = await Step($"phase {phase + 1}: predictions by name from either inference replica agree", async () =>
                {
                    var found = new Dictionary<string, (HttpStatusCode, JsonNode?)>(StringComparer.Ordinal);
                    foreach (var entity in sample)
                    {
                        var first = await CallAsync(Client("inference", 1), HttpMethod.Post, $"api/inference/models/{ModelName}/entities/{Uri.EscapeDataString(entity)}/predict", new JsonObject());
                        var second = await CallAsync(Client("inference", 2), HttpMethod.Post, $"api/inference/models/{ModelName}/entities/{Uri.EscapeDataString(entity)}/predict", new JsonObject());
                        Assert.True(first.Status == second.Status, $"{entity}: replica 1 answered {first.Status}, replica 2 {second.Status}: {first.Answer?.ToJsonString()} | {second.Answer?.ToJsonString()}");
                        Assert.True(first.Status is HttpStatusCode.OK or HttpStatusCode.UnprocessableEntity, $"{entity}: {first.Status} {first.Answer?.ToJsonString()}");
                        if (first.Status == HttpStatusCode.OK)
                        {
                            Assert.Equal(first.Answer?["modelVersion"]?.GetValue<string>(), second.Answer?["modelVersion"]?.GetValue<string>());
                            // Float32 precision: a request may share an ONNX batch with streamed vectors on either pod.
                            Assert.Equal(first.Answer!["probability"]!.GetValue<double>(), second.Answer!["probability"]!.GetValue<double>(), 1e-6);
                        }

                        found[entity] = first;
                    }

                    Log($"{found.Count(a => a.Value.Item1 == HttpStatusCode.OK)} of {sample.Count} sampled patients scored by name, the same on both replicas");
                    return found;
                }, "inference", "features");
            }

            await Step("observations.v1: each observation published once by the two competing outbox relays", async () =>
            {
                var published = observationsTail.ReadToEnd().GroupBy(r => r["id"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.Count());
                Assert.True(published.Values.All(c => c == 1), $"published twice: {string.Join(", ", published.Where(p => p.Value > 1).Take(5).Select(p => p.Key))}");
                Assert.True(ward.Observations.Select(o => o.ObservationId).ToHashSet().SetEquals(published.Keys), $"{published.Count} of {ward.Observations.Count} observations published");
                return true;
            }, "ingestion");

            await Step("features.v1 and predictions.v1: every feature event once, one prediction per feature event", async () =>
            {
                var events = featuresTail.ReadToEnd();
                var ids = events.Select(e => e["id"]!.GetValue<string>()).ToList();
                Assert.True(ids.Count == ids.Distinct().Count(), $"{ids.Count - ids.Distinct().Count()} feature events published twice");
                var expected = await ExpectedVectorsAsync(featuresDb, definitions, prefix);
                var latest = events.Where(e => e["data"]!["featureSetVersion"]!.GetValue<string>() == definitions.Version)
                    .GroupBy(e => e["data"]!["entityId"]!.GetValue<string>())
                    .ToDictionary(g => g.Key, g => g.MaxBy(e => (e["data"]!["eventTime"]!.GetValue<DateTimeOffset>(), e["data"]!["computedAt"]!.GetValue<DateTimeOffset>()))!);
                Assert.Equal(ward.Patients.Count, latest.Count);
                foreach (var (entity, (asOf, values)) in expected)
                {
                    Assert.True(Mismatch(latest[entity]["data"], asOf, values) is not { } why, $"latest event of {entity} on features.v1: {Mismatch(latest[entity]["data"], asOf, values)}");
                }

                var all = predictionsTail.ReadToEnd();
                published = [.. all];
                // HTTP answers reach the topic too, relayed from the prediction log (no feature event; event id = prediction
                // id): the two replicas share the log's backlog, and none is published twice.
                var relayed = all.Where(p => p["data"]!["featureEventId"] is null).ToList();
                var relayedIds = relayed.Select(p => p["data"]!["predictionId"]!.GetValue<string>()).ToList();
                Assert.True(relayedIds.Count == relayedIds.Distinct().Count(), $"{relayedIds.Count - relayedIds.Distinct().Count()} HTTP predictions published twice");
                Assert.All(relayed, p => Assert.Equal(p["data"]!["predictionId"]!.GetValue<string>(), p["id"]!.GetValue<string>()));
                var predictions = all.Where(p => p["data"]!["featureEventId"] is not null).ToList();
                // Every model served on the shared registry (and each of its variants: a shadow scores what the champion
                // scores) predicts each feature event of its set: once per event, model and variant, never more.
                var perScorer = predictions.GroupBy(p => (
                        Event: p["data"]!["featureEventId"]?.GetValue<string>() ?? "",
                        Model: p["data"]!["modelName"]!.GetValue<string>(),
                        Variant: p["data"]!["variant"]?.GetValue<string>() ?? ""))
                    .ToDictionary(g => g.Key, g => g.ToList());
                var known = ids.ToHashSet(StringComparer.Ordinal);
                Assert.True(perScorer.Keys.All(k => known.Contains(k.Event)), $"predictions of unknown feature events: {string.Join(", ", perScorer.Keys.Where(k => !known.Contains(k.Event)).Take(5))}");
                Assert.True(perScorer.Values.All(p => p.Count == 1), $"feature events predicted more than once by one model and variant: {string.Join(", ", perScorer.Where(p => p.Value.Count > 1).Take(5).Select(p => $"{p.Key} ×{p.Value.Count}"))}");
                Assert.True(predictions.Count > 0, "no prediction for this run's patients on predictions.v1");
                Log($"{ids.Count} feature events ({latest.Count} patients, shipped set {definitions.Version}), {predictions.Count} streamed predictions and {relayed.Count} HTTP ones, none twice");

                // The answers by name after phase 2 came from the current vector: the streamed prediction of the last event.
                var compared = 0;
                foreach (var (entity, (status, answer)) in answers.Where(a => a.Value.Status == HttpStatusCode.OK))
                {
                    var latestEvent = latest[entity]["id"]!.GetValue<string>();
                    if (answer is not null && perScorer.Where(p => p.Key.Event == latestEvent).SelectMany(p => p.Value)
                            .FirstOrDefault(p => p["data"]!["modelName"]!.GetValue<string>() == answer["modelName"]?.GetValue<string>()
                                && p["data"]!["modelVersion"]?.GetValue<string>() == answer["modelVersion"]?.GetValue<string>()) is { } streamed)
                    {
                        // The model computes in float32 and ONNX Runtime may sum a row's trees in another order when it
                        // shares a batch (streaming scores a poll's vectors together): equal to float32 precision.
                        Assert.Equal(streamed["data"]!["probability"]!.GetValue<double>(), answer["probability"]!.GetValue<double>(), 1e-6);
                        compared++;
                    }
                }

                Log($"{compared} answers by name equal the streamed prediction of the patient's latest feature event");
                return true;
            }, "features", "inference");

            await Step("monitoring: the two replicas stored every scored prediction of this run once", async () =>
            {
                // Fallbacks (no model answer) are not monitored; everything else on the topic for these patients is.
                var expected = published.Where(p => p["data"]!["fallback"]?.GetValue<bool>() != true)
                    .Select(p => p["data"]!["predictionId"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
                Dictionary<string, long> stored = [];
                await WithLastState(() => Task.FromResult<string?>($"{stored.Count} of {expected.Count} predictions in monitoring, {stored.Count(s => s.Value > 1)} more than once"),
                    () => Eventually.WaitUntilAsync(async () =>
                    {
                        stored = await PredictionSamplesAsync(monitoringDb, prefix);
                        return expected.IsSubsetOf(stored.Keys);
                    }, "monitoring stored every prediction of the run", TimeSpan.FromMinutes(2)));
                Assert.True(stored.Values.All(c => c == 1), $"stored more than once: {string.Join(", ", stored.Where(s => s.Value > 1).Take(5).Select(s => s.Key))}");
                Assert.True(stored.Keys.ToHashSet().SetEquals(expected), $"monitoring holds {stored.Count} predictions of the run, the topic {expected.Count}");
                Log($"{stored.Count} predictions stored once by the two monitoring replicas");
                return true;
            }, "monitoring");

            await Step("gateway: either replica routes each patient to the same model version and variant, with the same answer", async () =>
            {
                var routed = 0;
                foreach (var entity in sample)
                {
                    var path = $"api/inference/models/{ModelName}/entities/{Uri.EscapeDataString(entity)}/predict";
                    var first = await CallAsync(Client("gateway", 1), HttpMethod.Post, path, new JsonObject());
                    var second = await CallAsync(Client("gateway", 2), HttpMethod.Post, path, new JsonObject());
                    Assert.True(first.Status == second.Status, $"{entity}: gateway 1 answered {first.Status}, gateway 2 {second.Status}: {first.Answer?.ToJsonString()} | {second.Answer?.ToJsonString()}");
                    Assert.True(first.Status is HttpStatusCode.OK or HttpStatusCode.UnprocessableEntity, $"{entity}: {first.Status} {first.Answer?.ToJsonString()}");
                    if (first.Status == HttpStatusCode.OK)
                    {
                        Assert.Equal((first.Answer?["modelVersion"]?.GetValue<string>(), first.Answer?["variant"]?.GetValue<string>()),
                            (second.Answer?["modelVersion"]?.GetValue<string>(), second.Answer?["variant"]?.GetValue<string>()));
                        Assert.Equal(first.Answer!["probability"]!.GetValue<double>(), second.Answer!["probability"]!.GetValue<double>(), 1e-6);
                        routed++;
                    }
                }

                Log($"{routed} of {sample.Count} sampled patients answered alike through both gateway replicas");
                return true;
            }, "gateway", "inference");

            await Step("training: two runs started on different training replicas complete, each registered once on both registry replicas", async () =>
            {
                var half = ward.Outcomes.Count / 2;
                var labelled = await Task.WhenAll(
                    Uploads.OutcomesAsync(Client("features", 1), ward.Outcomes.Take(half).Select(o => (o.EntityId, OutcomeCsv.ToJson(o))).ToList(), null, CancellationToken.None),
                    Uploads.OutcomesAsync(Client("features", 2), ward.Outcomes.Skip(half).Select(o => (o.EntityId, OutcomeCsv.ToJson(o))).ToList(), null, CancellationToken.None));
                Assert.True(labelled.All(l => l.Refused.Count == 0), "outcomes refused");
                var dataset = (await Client("ingestion", 2).CreateDatasetVersionAsync("e2e-replicas", "two replicas test", new DatasetScope([ward.Options.SourceSystem]), CancellationToken.None))?["version"]?.GetValue<string>();
                Assert.False(string.IsNullOrEmpty(dataset), "no dataset version");
                var runs = await Task.WhenAll(new[] { 1, 2 }.Select(replica => Client("training", replica).StartRunAsync(new JsonObject
                {
                    ["modelName"] = ModelName,
                    ["featureSetVersion"] = definitions.Version,
                    ["datasetVersion"] = dataset,
                    ["labelName"] = ward.Options.LabelName,
                    ["algorithm"] = "bagged_gbdt",
                    ["hyperparameters"] = new JsonObject { ["members"] = 3 },
                    ["seed"] = 7 + replica,
                    ["requestedBy"] = "e2e-replicas",
                }, CancellationToken.None)));
                for (var i = 0; i < runs.Length; i++)
                {
                    var id = runs[i];
                    JsonNode? view = null;
                    // Followed on the other replica: the run's state is shared, not the process's.
                    await Eventually.WaitUntilAsync(async () =>
                    {
                        view = await Client("training", 2 - i).GetRunAsync(id, CancellationToken.None);
                        return view?["run"]?["status"]?.GetValue<string>() is "Completed" or "Failed" or "Cancelled";
                    }, $"run {id} finishes", TimeSpan.FromMinutes(3));
                    Assert.True(view!["run"]!["status"]!.GetValue<string>() == "Completed", $"run {id}: {view["run"]!["status"]} at {view["run"]!["failedStep"]}: {view["run"]!["failureReason"]}");

                    var versions = new List<string>();
                    for (var replica = 1; replica <= 2; replica++)
                    {
                        var registered = await JourneyWaits.RegisteredVersionAsync(Client("registry", replica), ModelName, id, TimeSpan.FromMinutes(1), CancellationToken.None);
                        Assert.True(registered is not null, $"registry replica {replica} has no version from run {id}");
                        var model = await Client("registry", replica).GetModelAsync(ModelName, CancellationToken.None);
                        var fromRun = model!["versions"]!.AsObject().Count(v => v.Value?["registration"]?["trainingRunId"]?.GetValue<string>() is { } r && Guid.Parse(r) == id);
                        Assert.True(fromRun == 1, $"registry replica {replica} holds {fromRun} versions from run {id}");
                        versions.Add(registered!);
                    }

                    Assert.Equal(versions[0], versions[1]);
                    Log($"run {id} (started on training replica {i + 1}, followed on the other): completed, auroc {view["run"]!["metrics"]?["auroc"]}, registered once as version {versions[0]}");
                }

                return true;
            }, "training", "registry", "features", "ingestion");

            Log($"two replicas: done in {total.Elapsed.TotalSeconds:0} s");
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }

            if (replicas is not null)
            {
                await replicas.DisposeAsync();
            }

            await kafkaHost.StopAsync();
        }
    }

    static RawObservation Raw(ObservationRow row) => new()
    {
        ObservationId = row.ObservationId,
        EntityId = row.EntityId,
        Code = row.Code,
        Value = row.Value is string text ? JsonSerializer.SerializeToElement(text) : JsonSerializer.SerializeToElement(Convert.ToDouble(row.Value, CultureInfo.InvariantCulture)),
        Unit = row.Unit,
        EventTime = row.EventTime,
        AvailableTime = row.AvailableTime,
        SourceSystem = row.SourceSystem,
    };

    /// <summary>The shipped feature set, read from the features service's own file: the single-process reference.</summary>
    static FeatureDefinitions ShippedDefinitions() =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(PlatformInfrastructure.RepositoryRoot, "services", "features", "Mlops.Features", "features.json"))
            .Build().GetSection(FeatureDefinitions.SectionName).Get<FeatureDefinitions>()!;

    /// <summary>
    /// Every patient's vector as one process computes it: the feature calculator over the patient's stored observations,
    /// at its newest event time — what streaming must end with whichever replica applied which observation.
    /// </summary>
    static async Task<Dictionary<string, (DateTimeOffset AsOf, Dictionary<string, double?> Values)>> ExpectedVectorsAsync(NpgsqlDataSource db, FeatureDefinitions definitions, string prefix)
    {
        await using var command = db.CreateCommand(
            "SELECT entity_id, observation_id, code, value, event_time, known_at FROM feature_observations WHERE starts_with(entity_id, $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        var points = new Dictionary<string, List<ObservationPoint>>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var entity = reader.GetString(0);
                if (!points.TryGetValue(entity, out var list))
                {
                    points[entity] = list = [];
                }

                list.Add(new ObservationPoint(reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5)));
            }
        }

        return points.ToDictionary(p => p.Key, p =>
        {
            var asOf = p.Value.Max(o => o.EventTime);
            return (asOf, FeatureCalculator.Compute(definitions, p.Value, asOf));
        }, StringComparer.Ordinal);
    }

    /// <summary>Why a served vector (online read or event data) is not the expected one, or null when it is.</summary>
    static string? Mismatch(JsonNode? served, DateTimeOffset asOf, Dictionary<string, double?> expected)
    {
        if (served is null)
        {
            return "none";
        }

        if (served["eventTime"]?.GetValue<DateTimeOffset>() != asOf)
        {
            return $"eventTime {served["eventTime"]}, expected {asOf:O}";
        }

        var values = served["values"]?.AsObject();
        foreach (var (name, value) in expected)
        {
            var actual = values?[name]?.GetValue<double>();
            if (actual.HasValue != value.HasValue || (value is { } v && Math.Abs(actual!.Value - v) > 1e-9 * Math.Max(1, Math.Abs(v))))
            {
                return $"{name} = {actual?.ToString(CultureInfo.InvariantCulture) ?? "null"}, expected {value?.ToString(CultureInfo.InvariantCulture) ?? "null"}";
            }
        }

        return null;
    }

    /// <summary>A call whose refusal is an outcome to compare, not an error.</summary>
    static async Task<(HttpStatusCode Status, JsonNode? Answer)> CallAsync(GatewayClient client, HttpMethod method, string path, JsonNode? body)
    {
        try
        {
            return await client.SendWithStatusAsync(method, path, body, CancellationToken.None);
        }
        catch (ApiProblem problem)
        {
            return (problem.Status, problem.Problem);
        }
    }

    /// <summary>How many times monitoring stored each prediction of the run's patients.</summary>
    static async Task<Dictionary<string, long>> PredictionSamplesAsync(NpgsqlDataSource db, string prefix)
    {
        await using var command = db.CreateCommand("SELECT prediction_id, count(*) FROM prediction_samples WHERE starts_with(entity_id, $1) AND prediction_id IS NOT NULL GROUP BY 1");
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        var stored = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            stored[reader.GetString(0)] = reader.GetInt64(1);
        }

        return stored;
    }

    static async Task<long> CountAsync(NpgsqlDataSource db, string table, string prefix)
    {
        // The table name is one of two constants above, never input.
        await using var command = db.CreateCommand($"SELECT count(*) FROM {table} WHERE starts_with(entity_id, $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    static async Task<HashSet<string>> IdsAsync(NpgsqlDataSource db, string table, string prefix)
    {
        await using var command = db.CreateCommand($"SELECT observation_id FROM {table} WHERE starts_with(entity_id, $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    static async Task WithLastState(Func<Task<string?>> state, Func<Task> wait)
    {
        try
        {
            await wait();
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last seen: {await state() ?? "nothing"}", ex);
        }
    }

    void Log(string line) => output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");
}
