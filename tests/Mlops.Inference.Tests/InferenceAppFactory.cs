using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Mlops.Testing;

namespace Mlops.Inference.Tests;

/// <summary>
/// The inference service in process, against the real Kafka/PostgreSQL/RabbitMQ, serving the v1 test ensemble
/// (or no model at all), on topics of its own. Everything else is the shipped configuration; the registry and
/// features base addresses (connection settings) point at a stand-in of theirs, <see cref="Upstream"/>, so no other
/// process's models or entities leak in.
/// </summary>
public sealed class InferenceAppFactory : WebApplicationFactory<Program>
{
    readonly Dictionary<string, string?> _settings;

    public InferenceAppFactory(bool withModel = true, bool batching = true, TimeSpan? maxQueueDelay = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        FeaturesTopic = PlatformInfrastructure.UniqueName("features-test");
        PredictionsTopic = PlatformInfrastructure.UniqueName("predictions-test");
        _ = PlatformInfrastructure.Configuration;
        Upstream = ArtifactServer.StartAsync().GetAwaiter().GetResult();
        _settings = new()
        {
            ["Inference:RegistryBaseAddress"] = Upstream.BaseAddress.ToString(),
            ["Inference:FeaturesBaseAddress"] = Upstream.BaseAddress.ToString(),
            ["Inference:Streaming:FeaturesTopic"] = FeaturesTopic,
            ["Inference:Streaming:PredictionsTopic"] = PredictionsTopic,
            ["Inference:Streaming:ConsumerGroup"] = PlatformInfrastructure.UniqueName("inference-test"),
            // Batch chunks on topics of its own too: a test host must never take a chunk of another host's job.
            ["Inference:BatchJobs:Topic"] = PlatformInfrastructure.UniqueName("batch-chunks-test"),
            ["Inference:BatchJobs:ConsumerGroup"] = PlatformInfrastructure.UniqueName("inference-batch-test"),
            ["Inference:Batching:Enabled"] = batching.ToString(),
            ["Inference:Batching:MaxBatchSize"] = "64",
            ["Inference:Batching:MaxQueueDelay"] = (maxQueueDelay ?? TimeSpan.FromMilliseconds(5)).ToString(),
            ["OnnxRuntime:IntraOpNumThreads"] = "1",
        };
        if (withModel)
        {
            _settings["Inference:LocalModels:0:Name"] = "deterioration";
            _settings["Inference:LocalModels:0:Version"] = "1";
            _settings["Inference:LocalModels:0:Path"] = Models.PathOf(Models.V1);
            _settings["Inference:LocalModels:0:Sha256"] = Models.Sha256Of(Models.V1);
            for (var i = 0; i < Models.Features.Length; i++)
            {
                _settings[$"Inference:LocalModels:0:Features:{i}"] = Models.Features[i];
                _settings[$"Inference:LocalModels:0:Baseline:{Models.Features[i]}"] = Models.Baseline[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public string FeaturesTopic { get; }

    /// <summary>The stand-in registry and features service this pod talks to.</summary>
    public ArtifactServer Upstream { get; }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    public string PredictionsTopic { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
