using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Monitoring.Tests.Streaming;

/// <summary>
/// Predictions answered over HTTP by a real inference process reach <c>predictions.v1</c> through the prediction log's
/// outbox — each once, under its prediction id, with model, version, variant and inputs — and monitoring stores each
/// once, also when the same prediction is delivered again.
/// </summary>
public sealed class HttpPredictionsTests(MonitoringWithInference fixture) : IClassFixture<MonitoringWithInference>
{
    MonitoringAppFactory Factory => fixture.Factory;

    [Fact]
    public async Task HttpPredictions_ThroughRealInference_OnPredictionsTopicOncePerIdAndStoredOnceByMonitoring()
    {
        var random = new Random(13);
        using var http = new HttpClient { BaseAddress = fixture.Inference.BaseAddress };
        var expected = new Dictionary<string, string>();

        // Every HTTP route that predicts: by name with an entity, a batch, and the Open Inference Protocol (no entity).
        for (var i = 0; i < 8; i++)
        {
            var entity = $"http-patient-{i}";
            var answer = await PostAsync(http, "api/inference/predict", new { entityId = entity, features = InferenceProcess.Vitals(random) });
            expected[answer.GetProperty("predictionId").GetString()!] = entity;
        }

        var batch = await PostAsync(http, "api/inference/predict/batch", new
        {
            items = Enumerable.Range(0, 4).Select(i => new { entityId = $"batch-patient-{i}", features = InferenceProcess.Vitals(random) }).ToArray(),
        });
        foreach (var item in batch.GetProperty("items").EnumerateArray())
        {
            var prediction = item.GetProperty("prediction");
            expected[prediction.GetProperty("predictionId").GetString()!] = prediction.GetProperty("entityId").GetString()!;
        }

        var rows = Enumerable.Range(0, 3).Select(_ => InferenceProcess.Vitals(random)).Select(v => InferenceProcess.Features.Select(f => v[f]).ToArray()).ToArray();
        var oip = await PostAsync(http, $"v2/models/{InferenceProcess.Model}/infer", new
        {
            inputs = new[] { new { name = "features", shape = new[] { 3, 5 }, datatype = "FP32", data = rows } },
        });
        foreach (var id in oip.GetProperty("parameters").GetProperty("prediction_ids").EnumerateArray())
        {
            expected[id.GetString()!] = "";
        }

        Assert.Equal(15, expected.Count);

        // On the topic: every prediction id, as the event id too, keyed by its entity (or by itself without one).
        var seen = new List<(string? Key, EventEnvelope<PredictionMade> Envelope)>();
        using (var reader = new TopicReader(Factory.Upstream.Services, Factory.PredictionsTopic))
        {
            await Eventually.WaitUntilAsync(() =>
            {
                seen.AddRange(reader.Poll<PredictionMade>());
                return expected.Keys.All(id => seen.Any(s => s.Envelope.Data.PredictionId == id));
            }, "every HTTP prediction on predictions.v1");
            // One more poll: a second copy sent right behind the first would be here by now.
            seen.AddRange(reader.Poll<PredictionMade>());
        }

        foreach (var (id, entity) in expected)
        {
            var (key, envelope) = Assert.Single(seen, s => s.Envelope.Data.PredictionId == id);
            Assert.Equal(id, envelope.Id);
            Assert.Equal(entity == "" ? id : entity, key);
            Assert.Equal((entity, InferenceProcess.Model, InferenceProcess.Version, false),
                (envelope.Data.EntityId, envelope.Data.ModelName, envelope.Data.ModelVersion, envelope.Data.Fallback));
            Assert.False(string.IsNullOrEmpty(envelope.Data.Variant));
            Assert.Equal(InferenceProcess.Features.Order(), envelope.Data.Features!.Keys.Order());
        }

        // Monitoring: one sample per prediction id, with the inputs as its features (so feature drift sees HTTP traffic).
        await Eventually.WaitUntilAsync(async () => (await SamplesAsync(expected.Keys)).Count == expected.Count, "monitoring stored every HTTP prediction");
        var samples = await SamplesAsync(expected.Keys);
        Assert.All(samples, s => Assert.Equal((1L, true), (s.Value.Copies, s.Value.HasFeatures)));
    }

    [Fact]
    public async Task SamePrediction_DeliveredAgainUnderAnotherEventId_StoredOnce()
    {
        var producer = Factory.Upstream.Services.GetRequiredService<IEventProducer>();
        var entity = PlatformInfrastructure.UniqueName("again");
        var prediction = Prediction(Guid.CreateVersion7().ToString(), entity);

        // A relayed HTTP prediction re-sent after a crash (same event id), then a stream prediction redelivered (a new
        // event id, the same prediction id), then a marker on the same key: stored only after the copies were handled.
        var first = await producer.ProduceAsync(Factory.PredictionsTopic, entity, prediction);
        await producer.ProduceEnvelopeAsync(Factory.PredictionsTopic, first);
        await producer.ProduceAsync(Factory.PredictionsTopic, entity, prediction);
        var marker = Prediction(Guid.CreateVersion7().ToString(), entity);
        await producer.ProduceAsync(Factory.PredictionsTopic, entity, marker);

        await Eventually.WaitUntilAsync(async () => (await SamplesAsync([marker.PredictionId!])).Count == 1, "the marker stored");
        var stored = await SamplesAsync([prediction.PredictionId!]);
        Assert.Equal(1L, Assert.Single(stored).Value.Copies);
    }

    static PredictionMade Prediction(string id, string entity) => new()
    {
        PredictionId = id,
        EntityId = entity,
        ModelName = InferenceProcess.Model,
        ModelVersion = "dedup-1",
        Variant = "champion",
        Probability = 0.4,
        Uncertainty = 0,
        Fallback = false,
        FeatureEventTime = DateTimeOffset.UtcNow,
        FeatureSetVersion = "vitals-test",
        PredictedAt = DateTimeOffset.UtcNow,
    };

    static async Task<JsonElement> PostAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    async Task<Dictionary<string, (long Copies, bool HasFeatures)>> SamplesAsync(IEnumerable<string> ids)
    {
        await using var connection = new NpgsqlConnection(Factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT prediction_id, count(*), bool_and(feature_values IS NOT NULL) FROM prediction_samples
            WHERE prediction_id = ANY($1) GROUP BY prediction_id
            """, connection);
        command.Parameters.Add(new() { Value = ids.ToArray() });
        var found = new Dictionary<string, (long, bool)>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                found[reader.GetString(0)] = (reader.GetInt64(1), reader.GetBoolean(2));
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // The test may ask before monitoring created its schema (it does so as it starts): nothing stored yet.
        }

        return found;
    }
}
