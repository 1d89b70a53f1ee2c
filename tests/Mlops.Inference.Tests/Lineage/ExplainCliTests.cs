using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Ingestion;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;

namespace Mlops.Inference.Tests.Lineage;

/// <summary>
/// <c>mlops explain &lt;predictionId&gt;</c> (the built command, as a user runs it) against an inference pod and a
/// features service started as processes: observations are published as ingestion publishes them, the pod answers an
/// HTTP prediction from the features they make, and the command prints the raw observations behind it, the vector
/// recomputed from them and the probability re-scored with the exact artifact — equal to the original.
/// </summary>
public sealed class ExplainCliTests : IAsyncLifetime
{
    static readonly string[] ModelFeatures = ["heart_rate_last_1h", "respiratory_rate_last_1h", "spo2_last_1h", "temperature_last_6h", "systolic_bp_last_1h"];

    readonly string _observationsTopic = PlatformInfrastructure.UniqueName("observations-test");
    readonly string _featuresTopic = PlatformInfrastructure.UniqueName("features-test");
    ArtifactServer _registry = null!;
    ServiceProcess _features = null!;
    ServiceProcess _inference = null!;
    IHost _kafka = null!;
    HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = TestHost.CreateBuilder("inference-tests-explain");
        builder.AddPlatformKafka();
        _kafka = builder.Build();
        var logTopic = PlatformInfrastructure.UniqueName("prediction-log-test");
        var predictionsTopic = PlatformInfrastructure.UniqueName("predictions-test");
        await _kafka.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([_observationsTopic, _featuresTopic, predictionsTopic, logTopic]);
        _registry = await ArtifactServer.StartAsync();
        _registry.Register("deterioration", "1", Models.Sha256Of(Models.V1), "run-v1", "dataset-v1");

        _features = ServiceProcess.Start("services/features/Mlops.Features", new Dictionary<string, string>
        {
            ["Features__Topics__Observations"] = _observationsTopic,
            ["Features__Topics__Features"] = _featuresTopic,
            ["Features__Topics__Labels"] = PlatformInfrastructure.UniqueName("labels-test"),
            ["Features__Topics__ObservationGroup"] = PlatformInfrastructure.UniqueName("features-test"),
            ["Features__Topics__LabelGroup"] = PlatformInfrastructure.UniqueName("features-labels-test"),
        });
        await _features.WaitUntilReadyAsync();

        // The v1 test ensemble on five of the shipped set's features; topics and groups of this test's own.
        var environment = new Dictionary<string, string>
        {
            ["Inference__FeaturesBaseAddress"] = _features.BaseAddress.ToString(),
            ["Inference__RegistryBaseAddress"] = _registry.BaseAddress.ToString(),
            ["Inference__ModelFilesDirectory"] = Models.Folder,
            ["Inference__PredictionLog__Topic"] = logTopic,
            ["Inference__Streaming__FeaturesTopic"] = _featuresTopic,
            ["Inference__Streaming__PredictionsTopic"] = predictionsTopic,
            ["Inference__Streaming__ConsumerGroup"] = PlatformInfrastructure.UniqueName("inference-test"),
            ["Inference__BatchJobs__Topic"] = PlatformInfrastructure.UniqueName("batch-chunks-test"),
            ["Inference__BatchJobs__ConsumerGroup"] = PlatformInfrastructure.UniqueName("inference-batch-test"),
            ["Inference__LocalModels__0__Name"] = "deterioration",
            ["Inference__LocalModels__0__Version"] = "1",
            ["Inference__LocalModels__0__Path"] = Models.PathOf(Models.V1),
            ["Inference__LocalModels__0__Sha256"] = Models.Sha256Of(Models.V1),
        };
        for (var i = 0; i < ModelFeatures.Length; i++)
        {
            environment[$"Inference__LocalModels__0__Features__{i}"] = ModelFeatures[i];
            environment[$"Inference__LocalModels__0__Baseline__{ModelFeatures[i]}"] = Models.Baseline[i].ToString(CultureInfo.InvariantCulture);
        }

        _inference = ServiceProcess.Start("services/inference/Mlops.Inference", environment);
        await _inference.WaitUntilReadyAsync();
        _client = new HttpClient { BaseAddress = _inference.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        await _inference.DisposeAsync();
        await _features.DisposeAsync();
        await _registry.DisposeAsync();
        _kafka.Dispose();
    }

    [Fact]
    public async Task Explain_HttpPrediction_PrintsItsObservationsRecomputedVectorAndAnEqualRescore()
    {
        var entity = PlatformInfrastructure.UniqueName("patient");
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-20);
        string[] ids =
        [
            await PublishAsync(entity, "heart_rate", 112, t0.AddMinutes(-20)),
            await PublishAsync(entity, "respiratory_rate", 23, t0.AddMinutes(-15)),
            await PublishAsync(entity, "spo2", 93, t0.AddMinutes(-10)),
            await PublishAsync(entity, "temperature", 38.1, t0.AddMinutes(-5)),
            await PublishAsync(entity, "systolic_bp", 101, t0),
        ];

        // The features service has the vector of all five once a streamed prediction names all five observations.
        await Eventually.WaitUntilAsync(async () =>
        {
            var answer = await _client.GetFromJsonAsync<JsonElement>($"/api/lineage/observations/{ids[^1]}/predictions");
            return answer.GetProperty("predictions").EnumerateArray().Any(p =>
                p.GetProperty("observationIds") is { ValueKind: JsonValueKind.Array } o && ids.All(id => o.EnumerateArray().Any(x => x.GetString() == id)));
        }, "a streamed prediction from all five observations");

        JsonElement prediction;
        using (var response = await _client.PostAsync($"/api/inference/entities/{entity}/predict", null))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            prediction = await response.Content.ReadFromJsonAsync<JsonElement>();
        }

        var predictionId = prediction.GetProperty("predictionId").GetString()!;
        var probability = prediction.GetProperty("probability").GetDouble();
        await Eventually.WaitUntilAsync(async () =>
        {
            using var response = await _client.GetAsync($"/api/lineage/predictions/{predictionId}");
            return response.StatusCode == HttpStatusCode.OK;
        }, $"prediction {predictionId} in the log");

        // As JSON: every value checked exactly.
        var (jsonExit, jsonOut, jsonErr) = await RunCliAsync("explain", predictionId, "--json");
        Assert.True(jsonExit == 0, $"exit {jsonExit}: {jsonOut}\n{jsonErr}");
        var replay = JsonDocument.Parse(jsonOut).RootElement;
        Assert.Equal(predictionId, replay.GetProperty("original").GetProperty("predictionId").GetString());
        Assert.Equal(ids.Order(StringComparer.Ordinal), replay.GetProperty("observations").EnumerateArray().Select(o => o.GetProperty("observationId").GetString()).Order(StringComparer.Ordinal));
        var scored = Vector(replay.GetProperty("original").GetProperty("features"));
        var recomputed = Vector(replay.GetProperty("recomputed").GetProperty("features"));
        Assert.Equal(ModelFeatures.Order(StringComparer.Ordinal), recomputed.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(scored, recomputed);
        // The observations' values, as the model's single-precision inputs hold them.
        Assert.Equal(112, recomputed["heart_rate_last_1h"]!.Value, 1e-4);
        Assert.Equal(38.1, recomputed["temperature_last_6h"]!.Value, 1e-4);
        var replayed = replay.GetProperty("replayed");
        Assert.True(replayed.GetProperty("matchesOriginal").GetBoolean(), jsonOut);
        Assert.Equal("recomputed", replayed.GetProperty("scoredFrom").GetString());
        Assert.InRange(Math.Abs(replayed.GetProperty("probability").GetDouble() - probability), 0, 1e-6);

        // As a person reads it: the observations, the recomputed vector and the verdict, exit 0 only when equal.
        var (exit, output, error) = await RunCliAsync("explain", predictionId);
        Assert.True(exit == 0, $"exit {exit}: {output}\n{error}");
        Assert.Contains($"Prediction {predictionId}", output);
        foreach (var code in new[] { "heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp" })
        {
            Assert.Contains(code, output);
        }

        foreach (var feature in ModelFeatures)
        {
            Assert.Contains(feature, output);
        }

        var figure = probability.ToString("0.000000", CultureInfo.InvariantCulture);
        Assert.Contains($"original {figure}, replayed {figure} from the recomputed vector: equal", output);
    }

    static Dictionary<string, double?> Vector(JsonElement features) =>
        features.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("value") is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : (double?)null);

    /// <summary>Runs the built <c>mlops</c> against the inference pod (its paths are the gateway's).</summary>
    Task<(int Exit, string Output, string Error)> RunCliAsync(params string[] arguments) => MlopsCli.RunAsync(_inference.BaseAddress, TimeSpan.FromMinutes(2), arguments);

    /// <summary>Publishes an observation as ingestion does (validated, recorded now); returns its id.</summary>
    async Task<string> PublishAsync(string entity, string code, double value, DateTimeOffset eventTime)
    {
        var id = PlatformInfrastructure.UniqueName("obs");
        await _kafka.Services.GetRequiredService<IEventProducer>().ProduceAsync(_observationsTopic, entity, new ObservationAccepted
        {
            ObservationId = id,
            EntityId = entity,
            EntityType = "patient",
            Code = code,
            Value = value,
            Unit = "unit",
            EventTime = eventTime,
            RecordedAt = DateTimeOffset.UtcNow,
            SourceSystem = "explain-tests",
            Sequence = 1,
        });
        return id;
    }
}
