using System.Security.Cryptography;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.EndToEnd.Benchmarks;

/// <summary>
/// Ingestion, features and inference as their own processes with their shipped settings — only connections and
/// isolation differ (their own databases, topics, consumer groups and RabbitMQ virtual host), as the other benchmarks
/// start them. Inference serves the repository's test ensemble (tests/models, as the streaming and monitoring benchmarks
/// do) as a local model fed by the shipped feature set: its five inputs are the latest vitals, which the shipped set
/// publishes as <c>*_last_24h</c>. The registry is not on the observation → prediction path (it only hands a pod its
/// deployments), so the pod is pointed where nothing listens and serves the local artifact, as those benchmarks do.
/// </summary>
internal sealed class PipelineUnderTest : IAsyncDisposable
{
    static readonly string[] ModelInputs = ["heart_rate_last_24h", "respiratory_rate_last_24h", "spo2_last_24h", "temperature_last_24h", "systolic_bp_last_24h"];

    RabbitMqVirtualHost? _vhost;

    public required string AcceptedTopic { get; init; }

    public required string FeaturesTopic { get; init; }

    public required string PredictionsTopic { get; init; }

    /// <summary>The three services' databases, for the PostgreSQL CPU they cost.</summary>
    public List<string> Databases { get; } = [];

    public ServiceProcess Ingestion { get; private set; } = null!;

    public ServiceProcess Features { get; private set; } = null!;

    public ServiceProcess Inference { get; private set; } = null!;

    public static async Task<PipelineUnderTest> StartAsync(KafkaTopicAdmin admin, bool groupCommit = true, bool entityWindows = true)
    {
        var pipeline = new PipelineUnderTest
        {
            AcceptedTopic = PlatformInfrastructure.UniqueName("bench-e2e-obs"),
            FeaturesTopic = PlatformInfrastructure.UniqueName("bench-e2e-features"),
            PredictionsTopic = PlatformInfrastructure.UniqueName("bench-e2e-predictions"),
        };
        var raw = PlatformInfrastructure.UniqueName("bench-e2e-obs-raw");
        var rejected = PlatformInfrastructure.UniqueName("bench-e2e-obs-rejected");
        var labels = PlatformInfrastructure.UniqueName("bench-e2e-labels");
        await admin.EnsureTopicsAsync([raw, rejected, labels, pipeline.AcceptedTopic, pipeline.FeaturesTopic, pipeline.PredictionsTopic]);

        pipeline._vhost = await RabbitMqVirtualHost.CreateAsync("bench-e2e");
        var ingestion = new Dictionary<string, string>
        {
            [RabbitMqVirtualHost.EnvironmentVariable] = pipeline._vhost.Name,
            ["Ingestion__RejectedTopic"] = rejected,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (!groupCommit)
        {
            ingestion["Ingestion__GroupCommit__Enabled"] = "false";
        }

        pipeline.Ingestion = IngestionProcess.Start(await pipeline.CreateDatabaseAsync("bench_e2e_ingestion"), pipeline.AcceptedTopic, raw, ingestion);
        pipeline.Features = ServiceProcess.Start("services/features/Mlops.Features", new Dictionary<string, string>
        {
            ["Features__EntityWindows__Enabled"] = entityWindows ? "true" : "false",
            ["ConnectionStrings__features"] = await pipeline.CreateDatabaseAsync("bench_e2e_features"),
            [RabbitMqVirtualHost.EnvironmentVariable] = pipeline._vhost.Name,
            ["Features__Topics__Observations"] = pipeline.AcceptedTopic,
            ["Features__Topics__Features"] = pipeline.FeaturesTopic,
            ["Features__Topics__Labels"] = labels,
            ["Features__Topics__ObservationGroup"] = PlatformInfrastructure.UniqueName("bench-e2e-stream"),
            ["Features__Topics__LabelGroup"] = PlatformInfrastructure.UniqueName("bench-e2e-labels"),
            ["Logging__LogLevel__Default"] = "Warning",
        });

        var model = Path.Combine(PlatformInfrastructure.RepositoryRoot, "tests", "models", "deterioration_ensemble_v1.onnx");
        var inference = new Dictionary<string, string>
        {
            ["ConnectionStrings__inference"] = await pipeline.CreateDatabaseAsync("bench_e2e_inference"),
            [RabbitMqVirtualHost.EnvironmentVariable] = pipeline._vhost.Name,
            ["Inference__RegistryBaseAddress"] = $"http://127.0.0.1:{ServiceProcess.FreePort()}/",
            ["Inference__FeaturesBaseAddress"] = pipeline.Features.BaseAddress.ToString(),
            ["Inference__Streaming__FeaturesTopic"] = pipeline.FeaturesTopic,
            ["Inference__Streaming__PredictionsTopic"] = pipeline.PredictionsTopic,
            ["Inference__Streaming__ConsumerGroup"] = PlatformInfrastructure.UniqueName("bench-e2e-streaming"),
            ["Inference__LocalModels__0__Name"] = "deterioration",
            ["Inference__LocalModels__0__Version"] = "1",
            ["Inference__LocalModels__0__Path"] = model,
            ["Inference__LocalModels__0__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model))),
            ["Logging__LogLevel__Default"] = "Warning",
        };
        for (var i = 0; i < ModelInputs.Length; i++)
        {
            inference[$"Inference__LocalModels__0__Features__{i}"] = ModelInputs[i];
        }

        pipeline.Inference = ServiceProcess.Start("services/inference/Mlops.Inference", inference);
        try
        {
            await Task.WhenAll(pipeline.Ingestion.WaitUntilReadyAsync(), pipeline.Features.WaitUntilReadyAsync(), pipeline.Inference.WaitUntilReadyAsync());
        }
        catch
        {
            await pipeline.DisposeAsync();
            throw;
        }

        return pipeline;
    }

    async Task<string> CreateDatabaseAsync(string prefix)
    {
        var connectionString = await PlatformInfrastructure.CreateDatabaseAsync(prefix);
        Databases.Add(new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!);
        return connectionString;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new[] { Inference, Features, Ingestion })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        if (_vhost is not null)
        {
            await _vhost.DisposeAsync();
        }
    }
}
