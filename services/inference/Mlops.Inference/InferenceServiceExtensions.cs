using System.Text.Json.Serialization;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mlops.Contracts.Features;
using Mlops.Contracts.Registry;
using Mlops.Inference.Batch;
using Mlops.Inference.Batching;
using Mlops.Inference.Deployments;
using Mlops.Inference.Lineage;
using Mlops.Inference.Models;
using Mlops.Inference.Protocols;
using Mlops.Inference.Scoring;
using Mlops.Inference.Streaming;
using Mlops.Kafka;
using Mlops.Messaging;
using Mlops.ServiceDefaults;
using Mlops.ServiceDefaults.Health;

namespace Mlops.Inference;

/// <summary>Registers what the inference service needs.</summary>
internal static class InferenceServiceExtensions
{
    /// <summary>The inference service's dependencies; readiness follows them and a warm model.</summary>
    public static IHostApplicationBuilder AddInferenceServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformPostgres("inference");
        builder.AddPlatformKafka();
        var section = builder.Configuration.GetSection(InferenceOptions.SectionName);
        var followsRegistry = !string.IsNullOrWhiteSpace(section[nameof(InferenceOptions.RegistryBaseAddress)]);
        builder.AddPlatformMessaging(bus =>
        {
            if (followsRegistry)
            {
                bus.AddConsumer<DeploymentChangedConsumer, DeploymentChangedConsumerDefinition>();
            }
        });
        builder.Services.AddOptions<InferenceOptions>().Bind(section)
            .Validate(o => o.Variants.All(KnownVariants.Contains), $"Inference:Variants may name only {string.Join(", ", KnownVariants)}.")
            .Validate(o => o.OnlineCache.MaxAge >= TimeSpan.Zero, "Inference:OnlineCache:MaxAge must not be negative")
            .Validate(o => o.Streaming.MaxBatchSize >= 1, "Inference:Streaming:MaxBatchSize must be at least 1")
            .Validate(o => o.Batching.Instances >= 1, "Inference:Batching:Instances must be at least 1")
            .ValidateOnStart();
        builder.Services.AddOptions<OnnxRuntimeOptions>().BindConfiguration(OnnxRuntimeOptions.SectionName);
        builder.Services.TryAddSingleton<OnnxSessionFactory>();
        builder.Services.TryAddSingleton<ModelCatalog>();
        builder.Services.TryAddSingleton(sp => sp.GetRequiredService<ModelCatalog>().Default);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<OnlineFeatureCache>();
        builder.Services.TryAddSingleton<OnlineFeatureReader>();
        builder.Services.TryAddSingleton<DynamicBatcher>();
        builder.Services.TryAddSingleton<Predictor>();
        builder.Services.TryAddSingleton<DeploymentApplier>();
        builder.Services.TryAddSingleton<PodIdentity>();
        builder.Services.AddHttpClient<RegistryArtifactClient>((sp, http) => http.BaseAddress = Options(sp).RegistryBaseAddress);
        builder.Services.AddHttpClient<RegistryDeploymentsClient>((sp, http) => http.BaseAddress = Options(sp).RegistryBaseAddress);
        builder.Services.AddHttpClient<RegistryModelVersionsClient>((sp, http) => http.BaseAddress = Options(sp).RegistryBaseAddress);
        builder.Services.AddHttpClient<FeaturesClient>((sp, http) =>
        {
            http.BaseAddress = Options(sp).FeaturesBaseAddress;
            http.Timeout = TimeSpan.FromSeconds(10);
        });
        builder.AddPredictionLineage();
        builder.AddOpenInferenceGrpc();
        builder.AddBatchJobs();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DynamicBatcher>());
        builder.Services.AddHostedService<ModelLoader>();
        builder.Services.AddHostedService<FeatureCacheWarmer>();
        var health = builder.Services.AddHealthChecks().AddCheck<ModelReadinessCheck>("model", tags: [HealthTags.Ready]);
        if (followsRegistry)
        {
            builder.Services.TryAddSingleton<DeploymentBootstrapper>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<DeploymentBootstrapper>());
            health.AddCheck<DeploymentBootstrapper>("registry-deployments", tags: [HealthTags.Ready]);
        }

        // "NaN" and "Infinity" are read as numbers so the answer is a 422 naming the feature, not a JSON parse error.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling |= JsonNumberHandling.AllowNamedFloatingPointLiterals);

        var inference = section.Get<InferenceOptions>() ?? new InferenceOptions();
        if (inference.Streaming.Enabled)
        {
            // One group per variant set: pods of different variants must each read every partition.
            builder.AddKafkaBatchConsumer<FeatureVectorUpdated, FeatureVectorScoringHandler>(
                inference.StreamingConsumerGroup, [inference.Streaming.FeaturesTopic], inference.Streaming.MaxBatchSize);
        }

        return builder;
    }

    static readonly string[] KnownVariants = [ModelAliases.Champion, ModelAliases.Challenger, ModelAliases.Shadow];

    static InferenceOptions Options(IServiceProvider services) =>
        services.GetRequiredService<Microsoft.Extensions.Options.IOptions<InferenceOptions>>().Value;
}
