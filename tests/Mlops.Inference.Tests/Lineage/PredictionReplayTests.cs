using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Ingestion;
using Mlops.Contracts.Inference;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;

namespace Mlops.Inference.Tests.Lineage;

/// <summary>
/// Replay of logged predictions against the real features service (its own process, on topics of its own) and the
/// real Kafka/PostgreSQL: observations are published as ingestion publishes them, the features service computes the
/// vectors, this pod scores them (streaming) and answers HTTP predictions; every prediction is logged, and
/// <c>GET /api/lineage/predictions/{id}</c> recomputes the vector point in time from the observations and re-scores it
/// with the exact artifact. The model is the v1 test ensemble reading five of the shipped set's features.
/// </summary>
public sealed class PredictionReplayTests : IAsyncLifetime
{
    static readonly string[] ModelFeatures = ["heart_rate_last_1h", "respiratory_rate_last_1h", "spo2_last_1h", "temperature_last_6h", "systolic_bp_last_1h"];

    readonly string _observationsTopic = PlatformInfrastructure.UniqueName("observations-test");
    readonly string _logTopic = PlatformInfrastructure.UniqueName("prediction-log-test");
    readonly int _featuresPort = Mlops.Testing.ServiceProcess.FreePort();
    InferenceAppFactory _factory = null!;
    ServiceProcess _features = null!;
    HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Inference:FeaturesBaseAddress"] = $"http://127.0.0.1:{_featuresPort}/",
            ["Inference:PredictionLog:Topic"] = _logTopic,
            ["Inference:ModelFilesDirectory"] = Models.Folder,
        };
        for (var i = 0; i < ModelFeatures.Length; i++)
        {
            settings[$"Inference:LocalModels:0:Features:{i}"] = ModelFeatures[i];
            settings[$"Inference:LocalModels:0:Baseline:{ModelFeatures[i]}"] = Models.Baseline[i].ToString(CultureInfo.InvariantCulture);
        }

        _factory = new InferenceAppFactory(settings: settings);
        await _factory.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([_observationsTopic, _factory.FeaturesTopic, _factory.PredictionsTopic, _logTopic]);
        _features = ServiceProcess.Start("services/features/Mlops.Features", _featuresPort, new Dictionary<string, string>
        {
            ["Features__Topics__Observations"] = _observationsTopic,
            ["Features__Topics__Features"] = _factory.FeaturesTopic,
            ["Features__Topics__Labels"] = PlatformInfrastructure.UniqueName("labels-test"),
            ["Features__Topics__ObservationGroup"] = PlatformInfrastructure.UniqueName("features-test"),
            ["Features__Topics__LabelGroup"] = PlatformInfrastructure.UniqueName("features-labels-test"),
        });
        await _features.WaitUntilReadyAsync();
        _factory.Upstream.Register("deterioration", "1", Models.Sha256Of(Models.V1), "run-v1", "dataset-v1");
        _factory.Upstream.Register("deterioration", "2", Models.Sha256Of(Models.V2), "run-v2", "dataset-v2");
        _client = await _factory.ReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _features.DisposeAsync();
    }

    [Fact]
    public async Task StreamedPrediction_Replay_EqualsTheOriginal_AndALateObservationDoesNotChangeIt()
    {
        var entity = PlatformInfrastructure.UniqueName("patient");
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-30);
        var ids = await PublishVitalsAsync(entity, t0, hr: 118, rr: 24, spo2: 92, temp: 38.4, sbp: 96);

        // The vector that has all five vitals is the one scored; its prediction names every observation behind it.
        var original = await LoggedPredictionAsync(ids[^1], p => p.GetProperty("source").GetString() == "stream" && ObservationIds(p).IsSupersetOf(ids));
        var replay = await ReplayAsync(original.GetProperty("predictionId").GetString()!);
        AssertReplayMatches(replay, original);
        Assert.Equal(ids.Order(StringComparer.Ordinal), Observations(replay).Order(StringComparer.Ordinal));

        // A heart rate measured before the vector's time but made available only now (after the prediction).
        var late = await PublishAsync(entity, "heart_rate", 150, t0.AddMinutes(-1), availableTime: DateTimeOffset.UtcNow);
        var updated = await LoggedPredictionAsync(late, p => p.GetProperty("source").GetString() == "stream");
        Assert.True(Math.Abs(updated.GetProperty("probability").GetDouble() - original.GetProperty("probability").GetDouble()) > 1e-3,
            "the late observation changes the current vector, so it would have changed the replay had it leaked in");

        var again = await ReplayAsync(original.GetProperty("predictionId").GetString()!);
        AssertReplayMatches(again, original);
        Assert.DoesNotContain(late, Observations(again));
        Assert.Equal(replay.GetProperty("replayed").GetProperty("probability").GetDouble(), again.GetProperty("replayed").GetProperty("probability").GetDouble());

        // The newer prediction replays too, with the late observation behind it.
        var replayOfUpdated = await ReplayAsync(updated.GetProperty("predictionId").GetString()!);
        AssertReplayMatches(replayOfUpdated, updated);
        Assert.Contains(late, Observations(replayOfUpdated));
    }

    [Fact]
    public async Task HttpPrediction_Replay_EqualsTheOriginal_EvenAfterTheChampionChanged()
    {
        var entity = PlatformInfrastructure.UniqueName("patient");
        var ids = await PublishVitalsAsync(entity, DateTimeOffset.UtcNow.AddMinutes(-20), hr: 104, rr: 21, spo2: 94, temp: 37.9, sbp: 108);
        await LoggedPredictionAsync(ids[^1], p => ObservationIds(p).IsSupersetOf(ids));

        var answer = await PredictAsync(entity);
        Assert.Equal("1", answer.GetProperty("modelVersion").GetString());
        var byV1 = await LoggedByIdAsync(answer.GetProperty("predictionId").GetString()!);
        Assert.Equal("http", byV1.GetProperty("original").GetProperty("source").GetString());
        AssertReplayMatches(byV1, byV1.GetProperty("original"));
        Assert.Equal(Models.Sha256Of(Models.V1), byV1.GetProperty("model").GetProperty("artifactSha256").GetString());
        Assert.True(byV1.GetProperty("model").GetProperty("artifactVerified").GetBoolean());
        Assert.Equal("run-v1", byV1.GetProperty("model").GetProperty("trainingRunId").GetString());
        Assert.Equal("dataset-v1", byV1.GetProperty("model").GetProperty("datasetVersion").GetString());

        // The champion becomes version 2 (a different artifact); the served model now answers differently.
        _factory.Upstream.Serve(Models.Sha256Of(Models.V2), await File.ReadAllBytesAsync(Models.PathOf(Models.V2)));
        using (var load = await _client.PostAsJsonAsync("/api/inference/model", new
        {
            name = "deterioration", version = "2", path = Models.FileOf(Models.V2), sha256 = Models.Sha256Of(Models.V2), features = ModelFeatures,
        }))
        {
            Assert.Equal(HttpStatusCode.OK, load.StatusCode);
        }

        var byV2Answer = await PredictAsync(entity);
        Assert.Equal("2", byV2Answer.GetProperty("modelVersion").GetString());
        Assert.True(Math.Abs(byV2Answer.GetProperty("probability").GetDouble() - answer.GetProperty("probability").GetDouble()) > 1e-4, "the versions must be told apart");

        // The version-1 prediction still replays with version 1's artifact, not the champion's.
        var again = await ReplayAsync(answer.GetProperty("predictionId").GetString()!);
        AssertReplayMatches(again, again.GetProperty("original"));
        Assert.Equal(answer.GetProperty("probability").GetDouble(), again.GetProperty("replayed").GetProperty("probability").GetDouble(), 6);
        var byV2 = await LoggedByIdAsync(byV2Answer.GetProperty("predictionId").GetString()!);
        AssertReplayMatches(byV2, byV2.GetProperty("original"));
        Assert.Equal(Models.Sha256Of(Models.V2), byV2.GetProperty("model").GetProperty("artifactSha256").GetString());
        Assert.Equal("dataset-v2", byV2.GetProperty("model").GetProperty("datasetVersion").GetString());
    }

    [Fact]
    public async Task Observation_InfluencedPredictions_AreEveryLoggedPredictionItWasBehind_AndTheLogTopicCarriesEachWithItsTrace()
    {
        var entity = PlatformInfrastructure.UniqueName("patient");
        var neighbour = PlatformInfrastructure.UniqueName("patient");
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-25);
        var ids = await PublishVitalsAsync(entity, t0, hr: 112, rr: 23, spo2: 93, temp: 38.1, sbp: 101);
        var neighbourIds = await PublishVitalsAsync(neighbour, t0, hr: 80, rr: 15, spo2: 98, temp: 36.8, sbp: 124);
        await LoggedPredictionAsync(ids[^1], p => p.GetProperty("source").GetString() == "stream" && ObservationIds(p).IsSupersetOf(ids));
        await LoggedPredictionAsync(neighbourIds[^1], p => p.GetProperty("source").GetString() == "stream");

        // An HTTP prediction in a trace of the test's own: the log records that trace.
        var trace = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/inference/entities/{entity}/predict");
        request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var httpId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("predictionId").GetString()!;
        await LoggedByIdAsync(httpId);

        // The topic copy of the log, read until the HTTP prediction (the entity's last) is in: every earlier one is too.
        var copies = ReadLogTopic(httpId).Where(p => p.EntityId == entity || p.EntityId == neighbour).ToList();
        var http = copies.Single(p => p.PredictionId == httpId);
        Assert.Equal(trace.ToHexString(), http.TraceId);
        Assert.Equal(("http", "deterioration", "1", "local"), (http.Source, http.ModelName, http.ModelVersion, http.Variant));
        Assert.Equal(ModelFeatures, http.Features.Select(f => f.Name));
        Assert.Superset(ids.ToHashSet(), http.ObservationIds!.ToHashSet());

        // Asked from the first vital: exactly the predictions whose vectors it was behind — streamed and HTTP — and not
        // the neighbour's.
        using var influenced = await _client.GetAsync($"/api/lineage/observations/{ids[0]}/predictions?limit=1000");
        Assert.Equal(HttpStatusCode.OK, influenced.StatusCode);
        var listed = (await influenced.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("predictions").EnumerateArray().ToList();
        var expected = copies.Where(p => p.ObservationIds?.Contains(ids[0]) == true).Select(p => p.PredictionId).ToHashSet();
        Assert.Equal(expected.Order(StringComparer.Ordinal), listed.Select(p => p.GetProperty("predictionId").GetString()!).Order(StringComparer.Ordinal));
        Assert.Contains(httpId, expected);
        Assert.Contains(copies, p => expected.Contains(p.PredictionId) && p.Source == "stream");
        Assert.All(listed, p => Assert.Equal(entity, p.GetProperty("entityId").GetString()));
        Assert.Contains(copies, p => p.EntityId == neighbour);
    }

    [Fact]
    public async Task Replay_UnknownOrMalformedId_IsProblemDetails()
    {
        using var unknown = await _client.GetAsync($"/api/lineage/predictions/{Guid.CreateVersion7()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Unknown prediction", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());

        using var malformed = await _client.GetAsync("/api/lineage/predictions/not-a-prediction-id");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
        Assert.True((await malformed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("predictionId", out _));

        using var badLimit = await _client.GetAsync("/api/lineage/observations/obs-1/predictions?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }

    /// <summary>
    /// Every entry on this test's log topic published up to <paramref name="last"/>: read from the start until it is among
    /// them and every partition is read to the end it had then.
    /// </summary>
    List<PredictionLogged> ReadLogTopic(string last)
    {
        var config = _factory.Services.GetRequiredService<KafkaClientConfigFactory>().CreateConsumerConfig(PlatformInfrastructure.UniqueName("log-reader"), "test-reader");
        using var consumer = new ConsumerBuilder<string?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(_logTopic);
        var read = new List<PredictionLogged>();
        var next = new Dictionary<int, long>();
        Dictionary<TopicPartition, long>? ends = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        // The topic has several partitions: seeing the last entry in its own says nothing of the others. Once it is in,
        // every partition is read up to its end at that moment, which holds every entry published before it.
        while (DateTime.UtcNow < deadline && (ends is null || ends.Any(e => next.GetValueOrDefault(e.Key.Partition.Value) < e.Value)))
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: { } message } result)
            {
                read.Add(EnvelopeSerializer.Deserialize<PredictionLogged>(message.Value).Data);
                next[result.Partition.Value] = result.Offset.Value + 1;
            }

            if (ends is null && read.Any(p => p.PredictionId == last) && consumer.Assignment.Count > 0)
            {
                ends = consumer.Assignment.ToDictionary(tp => tp, tp => consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value);
            }
        }

        consumer.Close();
        Assert.True(read.Any(p => p.PredictionId == last), $"{last} did not reach the log topic {_logTopic} within 60 s ({read.Count} entries read)");
        return read;
    }

    static void AssertReplayMatches(JsonElement replay, JsonElement original)
    {
        var replayed = replay.GetProperty("replayed");
        Assert.True(replayed.GetProperty("matchesOriginal").GetBoolean(), replay.ToString());
        Assert.Equal("recomputed", replayed.GetProperty("scoredFrom").GetString());
        Assert.InRange(Math.Abs(replayed.GetProperty("probability").GetDouble() - original.GetProperty("probability").GetDouble()), 0, 1e-6);
        var recomputed = replay.GetProperty("recomputed");
        Assert.True(recomputed.GetProperty("matchesLogged").GetBoolean(), replay.ToString());
        Assert.True(recomputed.GetProperty("sameObservations").GetBoolean(), replay.ToString());
        Assert.Empty(replay.GetProperty("notes").EnumerateArray());
        Assert.Equal(ModelFeatures, replay.GetProperty("contributions").GetProperty("byFeature").EnumerateObject().Select(p => p.Name));
    }

    static HashSet<string> ObservationIds(JsonElement prediction) =>
        prediction.GetProperty("observationIds") is { ValueKind: JsonValueKind.Array } ids ? [.. ids.EnumerateArray().Select(i => i.GetString()!)] : [];

    static string[] Observations(JsonElement replay) => [.. replay.GetProperty("observations").EnumerateArray().Select(o => o.GetProperty("observationId").GetString()!)];

    async Task<JsonElement> PredictAsync(string entity)
    {
        using var response = await _client.PostAsync($"/api/inference/entities/{entity}/predict", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>A logged prediction the observation was behind, matching <paramref name="match"/>, once the log has it.</summary>
    async Task<JsonElement> LoggedPredictionAsync(string observationId, Func<JsonElement, bool> match)
    {
        JsonElement found = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            var answer = await _client.GetFromJsonAsync<JsonElement>($"/api/lineage/observations/{observationId}/predictions");
            foreach (var prediction in answer.GetProperty("predictions").EnumerateArray())
            {
                if (match(prediction))
                {
                    found = prediction.Clone();
                    return true;
                }
            }

            return false;
        }, $"a logged prediction influenced by {observationId}");
        return found;
    }

    async Task<JsonElement> LoggedByIdAsync(string predictionId)
    {
        JsonElement found = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            using var response = await _client.GetAsync($"/api/lineage/predictions/{predictionId}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            found = await response.Content.ReadFromJsonAsync<JsonElement>();
            return true;
        }, $"prediction {predictionId} in the log");
        return found;
    }

    async Task<JsonElement> ReplayAsync(string predictionId)
    {
        using var response = await _client.GetAsync($"/api/lineage/predictions/{predictionId}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    async Task<string[]> PublishVitalsAsync(string entity, DateTimeOffset t0, double hr, double rr, double spo2, double temp, double sbp) =>
    [
        await PublishAsync(entity, "heart_rate", hr, t0.AddMinutes(-20)),
        await PublishAsync(entity, "respiratory_rate", rr, t0.AddMinutes(-15)),
        await PublishAsync(entity, "spo2", spo2, t0.AddMinutes(-10)),
        await PublishAsync(entity, "temperature", temp, t0.AddMinutes(-5)),
        await PublishAsync(entity, "systolic_bp", sbp, t0),
    ];

    /// <summary>Publishes an observation as ingestion does (validated, recorded now); returns its id.</summary>
    async Task<string> PublishAsync(string entity, string code, double value, DateTimeOffset eventTime, DateTimeOffset? availableTime = null)
    {
        var id = PlatformInfrastructure.UniqueName("obs");
        await _factory.Services.GetRequiredService<IEventProducer>().ProduceAsync(_observationsTopic, entity, new ObservationAccepted
        {
            ObservationId = id,
            EntityId = entity,
            EntityType = "patient",
            Code = code,
            Value = value,
            Unit = "unit",
            EventTime = eventTime,
            RecordedAt = DateTimeOffset.UtcNow,
            AvailableTime = availableTime,
            SourceSystem = "lineage-tests",
            Sequence = 1,
        });
        return id;
    }
}
