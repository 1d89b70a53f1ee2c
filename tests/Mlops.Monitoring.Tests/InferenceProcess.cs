using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests;

/// <summary>
/// The real inference service as its own process, with its shipped configuration, serving the generated test ensemble
/// (tests/models) as model <c>deterioration</c> version 1, in a database of its own, publishing on the monitoring
/// factory's predictions topic. Its registry is the factory's stand-in (no deployments, so only the local model serves).
/// </summary>
internal static class InferenceProcess
{
    public const string Model = "deterioration";
    public const string Version = "1";

    public static readonly string[] Features = ["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp"];

    static readonly double[] Baseline = [80, 16, 96, 37, 120];

    /// <summary>Starts the process; call before the factory's server starts when monitoring must scrape it.</summary>
    public static async Task<ServiceProcess> StartAsync(MonitoringAppFactory factory, int port)
    {
        var featuresTopic = PlatformInfrastructure.UniqueName("features-inf");
        await factory.Upstream.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([featuresTopic, factory.PredictionsTopic]);
        var model = Path.Combine(PlatformInfrastructure.RepositoryRoot, "tests", "models", "deterioration_ensemble_v1.onnx");
        var environment = new Dictionary<string, string>
        {
            // Connection settings and isolation only: its own database, virtual host, topics and group.
            ["ConnectionStrings__inference"] = await PlatformInfrastructure.CreateDatabaseAsync("inference_mon"),
            ["RabbitMq__VirtualHost"] = factory.VirtualHost.Name,
            ["Inference__RegistryBaseAddress"] = factory.Registry.BaseAddress.ToString(),
            ["Inference__FeaturesBaseAddress"] = factory.Registry.BaseAddress.ToString(),
            ["Inference__Streaming__FeaturesTopic"] = featuresTopic,
            ["Inference__Streaming__PredictionsTopic"] = factory.PredictionsTopic,
            ["Inference__Streaming__ConsumerGroup"] = PlatformInfrastructure.UniqueName("inference-mon"),
            ["Inference__LocalModels__0__Name"] = Model,
            ["Inference__LocalModels__0__Version"] = Version,
            ["Inference__LocalModels__0__Path"] = model,
            ["Inference__LocalModels__0__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model))),
        };
        for (var i = 0; i < Features.Length; i++)
        {
            environment[$"Inference__LocalModels__0__Features__{i}"] = Features[i];
            environment[$"Inference__LocalModels__0__Baseline__{Features[i]}"] = Baseline[i].ToString(CultureInfo.InvariantCulture);
        }

        var process = ServiceProcess.Start("services/inference/Mlops.Inference", port, environment);
        try
        {
            await process.WaitUntilReadyAsync();
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return process;
    }

    /// <summary>One patient's vitals as inline features.</summary>
    public static Dictionary<string, double> Vitals(Random random) => new()
    {
        ["heart_rate"] = 60 + random.NextDouble() * 60,
        ["respiratory_rate"] = 12 + random.NextDouble() * 14,
        ["spo2"] = 88 + random.NextDouble() * 11,
        ["temperature"] = 36 + random.NextDouble() * 3,
        ["systolic_bp"] = 90 + random.NextDouble() * 50,
    };
}
