using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.Inference.Tests.Batch;

/// <summary>
/// Ingestion and the features service as processes on their shipped configuration (own databases and topics —
/// connection settings), a ward of <see cref="Patients"/> patients ingested over HTTP with vitals at
/// <see cref="Start"/> and three hours later, labels for a few of them, and a dataset version snapshotting it all.
/// Ingestion's validated observations stream into the features service's own store too, which is what the online
/// path's point-in-time vectors are read from.
/// </summary>
public sealed class BatchDatasetFixture : IAsyncLifetime
{
    public const int Patients = 250;
    public const string LabelName = "deterioration_24h";

    /// <summary>The model's inputs: five of the shipped set's features.</summary>
    public static readonly string[] ModelFeatures = ["heart_rate_last_1h", "respiratory_rate_last_1h", "spo2_last_1h", "temperature_last_6h", "systolic_bp_last_1h"];

    readonly string _observationsTopic = PlatformInfrastructure.UniqueName("batch-obs");
    readonly string _rawTopic = PlatformInfrastructure.UniqueName("batch-raw");
    readonly string _labelsTopic = PlatformInfrastructure.UniqueName("batch-labels");
    readonly string _featuresTopic = PlatformInfrastructure.UniqueName("batch-features");
    readonly string _deadLetterTopic = PlatformInfrastructure.UniqueName("batch-dead");

    public ServiceProcess Ingestion { get; private set; } = null!;

    public ServiceProcess Features { get; private set; } = null!;

    /// <summary>A whole minute, a day ago.</summary>
    public DateTimeOffset Start { get; } = new DateTimeOffset(DateTime.UtcNow.Ticks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero).AddDays(-1);

    public string RunId { get; } = Guid.NewGuid().ToString("N")[..8];

    public string DatasetVersion { get; private set; } = "";

    public IReadOnlyList<string> Entities { get; private set; } = [];

    /// <summary>The labels recorded before the snapshot: (entity, label id, time).</summary>
    public IReadOnlyList<(string EntityId, string LabelId, DateTimeOffset Time)> Labels { get; private set; } = [];

    /// <summary>Observations per patient.</summary>
    public const int ObservationsPerPatient = 10;

    public async Task InitializeAsync()
    {
        await EnsureTopicsAsync([_observationsTopic, _rawTopic, _labelsTopic, _featuresTopic, _deadLetterTopic], 3);
        Ingestion = IngestionProcess.Start(await PlatformInfrastructure.CreateDatabaseAsync("batch_ingestion"), _observationsTopic, _rawTopic, new Dictionary<string, string>
        {
            ["Kafka__DeadLetterTopic"] = _deadLetterTopic,
        });
        Features = ServiceProcess.Start("services/features/Mlops.Features", new Dictionary<string, string>
        {
            ["ConnectionStrings__features"] = await PlatformInfrastructure.CreateDatabaseAsync("batch_features"),
            ["Features__IngestionBaseAddress"] = Ingestion.BaseAddress.ToString(),
            ["Features__Topics__Observations"] = _observationsTopic,
            ["Features__Topics__Labels"] = _labelsTopic,
            ["Features__Topics__Features"] = _featuresTopic,
            ["Features__Topics__ObservationGroup"] = PlatformInfrastructure.UniqueName("batch-stream"),
            ["Features__Topics__LabelGroup"] = PlatformInfrastructure.UniqueName("batch-labels"),
            ["Kafka__DeadLetterTopic"] = _deadLetterTopic,
        });
        await Task.WhenAll(Ingestion.WaitUntilReadyAsync(), Features.WaitUntilReadyAsync());

        using var ingestion = new HttpClient { BaseAddress = Ingestion.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        using var features = new HttpClient { BaseAddress = Features.BaseAddress };
        var random = new Random(20261203);
        var observations = new List<object>();
        var entities = new List<string>();
        for (var i = 0; i < Patients; i++)
        {
            var entity = $"bp-{RunId}-{i:D3}";
            entities.Add(entity);
            foreach (var hours in new[] { 0, 3 })
            {
                var at = Start.AddHours(hours);
                observations.Add(Observation($"hr-{hours}-{entity}", entity, "heart_rate", 60 + random.Next(60), "/min", at));
                observations.Add(Observation($"rr-{hours}-{entity}", entity, "respiratory_rate", 10 + random.Next(16), "/min", at));
                observations.Add(Observation($"spo2-{hours}-{entity}", entity, "spo2", 88 + random.Next(12), "%", at));
                observations.Add(Observation($"temp-{hours}-{entity}", entity, "temperature", Math.Round(36 + random.NextDouble() * 3, 1), "Cel", at));
                observations.Add(Observation($"sbp-{hours}-{entity}", entity, "systolic_bp", 85 + random.Next(60), "mm[Hg]", at));
            }
        }

        using (var response = await ingestion.PostAsJsonAsync("api/ingestion/observations/batch", observations))
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            Assert.Equal(observations.Count, JsonDocument.Parse(body).RootElement.GetProperty("accepted").GetInt32());
        }

        var labels = new List<(string, string, DateTimeOffset)>();
        for (var i = 0; i < 3; i++)
        {
            foreach (var minutes in new[] { 200, 215 })
            {
                var labelId = $"lbl-{RunId}-{i}-{minutes}";
                var time = Start.AddMinutes(minutes);
                using var response = await features.PostAsJsonAsync("api/features/labels", new { labelId, entityId = entities[i], name = LabelName, value = i % 2, eventTime = time });
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
                labels.Add((entities[i], labelId, time));
            }
        }

        using (var response = await ingestion.PostAsJsonAsync("api/ingestion/datasets", new { createdBy = "tests", description = "batch inference test " + RunId }))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            DatasetVersion = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString()!;
        }

        Entities = entities;
        Labels = labels;
        var chunkTopic = PlatformInfrastructure.UniqueName("batch-chunks-test");
        await EnsureTopicsAsync([chunkTopic], 3);
        Inference = new InferenceAppFactory(settings: InferenceSettings(chunkTopic, PlatformInfrastructure.UniqueName("batch-test")));
        Client = await Inference.ReadyClientAsync();
        FeaturesClient = new HttpClient { BaseAddress = Features.BaseAddress };
    }

    // History loaded today: the source says each value was available when measured, or nothing would be known
    // "by" yesterday's times (the point-in-time rule counts the platform's recorded time otherwise).
    static object Observation(string id, string entity, string code, double value, string unit, DateTimeOffset eventTime) =>
        new { observationId = id, entityId = entity, code, value, unit, eventTime, availableTime = eventTime, sourceSystem = "ward" };

    /// <summary>Creates topics with the platform's admin (0.9 brokers create them on first metadata request).</summary>
    public static async Task EnsureTopicsAsync(IEnumerable<string> topics, int partitions) =>
        await new KafkaTopicAdmin(KafkaClients(), NullLogger<KafkaTopicAdmin>.Instance).EnsureTopicsAsync(topics, partitions);

    /// <summary>Kafka client settings as the services get them (the platform env file), for a batch test's own clients.</summary>
    public static KafkaClientConfigFactory KafkaClients() => KafkaClientConfigFactory.From(PlatformInfrastructure.Configuration);

    /// <summary>Settings of an inference pod scoring the v1 test ensemble on <see cref="ModelFeatures"/>, batch chunks on <paramref name="chunkTopic"/>.</summary>
    public Dictionary<string, string?> InferenceSettings(string chunkTopic, string chunkGroup)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Inference:FeaturesBaseAddress"] = Features.BaseAddress.ToString(),
            ["Inference:PredictionLog:Topic"] = PlatformInfrastructure.UniqueName("batch-log"),
            // Topic and group of this test's own (as the streaming topics): connection settings, not behaviour.
            ["Inference:BatchJobs:Topic"] = chunkTopic,
            ["Inference:BatchJobs:ConsumerGroup"] = chunkGroup,
        };
        for (var i = 0; i < ModelFeatures.Length; i++)
        {
            settings[$"Inference:LocalModels:0:Features:{i}"] = ModelFeatures[i];
            settings[$"Inference:LocalModels:0:Baseline:{ModelFeatures[i]}"] = Models.Baseline[i].ToString(CultureInfo.InvariantCulture);
        }

        return settings;
    }

    /// <summary>An inference pod in process, consuming chunks of a topic of its own.</summary>
    public InferenceAppFactory Inference { get; private set; } = null!;

    /// <summary>A client of <see cref="Inference"/>, once its model is warm.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>A client of the features service.</summary>
    public HttpClient FeaturesClient { get; private set; } = null!;

    /// <summary>
    /// The environment of an inference pod started as a process: <see cref="InferenceSettings"/> plus the v1 test
    /// ensemble as its local model, a stand-in <paramref name="registry"/>, and streaming topics of its own.
    /// </summary>
    public Dictionary<string, string> InferenceProcessEnvironment(string chunkTopic, string chunkGroup, Uri registry)
    {
        var environment = InferenceSettings(chunkTopic, chunkGroup).ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        environment["Inference__LocalModels__0__Name"] = "deterioration";
        environment["Inference__LocalModels__0__Version"] = "1";
        environment["Inference__LocalModels__0__Path"] = Models.PathOf(Models.V1);
        environment["Inference__LocalModels__0__Sha256"] = Models.Sha256Of(Models.V1);
        environment["Inference__RegistryBaseAddress"] = registry.ToString();
        environment["Inference__Streaming__FeaturesTopic"] = PlatformInfrastructure.UniqueName("features-test");
        environment["Inference__Streaming__PredictionsTopic"] = PlatformInfrastructure.UniqueName("predictions-test");
        environment["Inference__Streaming__ConsumerGroup"] = PlatformInfrastructure.UniqueName("inference-test");
        return environment;
    }

    public async Task DisposeAsync()
    {
        FeaturesClient?.Dispose();
        if (Inference is not null)
        {
            await Inference.DisposeAsync();
        }

        await Features.DisposeAsync();
        await Ingestion.DisposeAsync();
    }
}
