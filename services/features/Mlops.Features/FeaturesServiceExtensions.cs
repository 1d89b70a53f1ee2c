using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Contracts.Ingestion;
using Mlops.Features.Api;
using Mlops.Features.Definitions;
using Mlops.Features.Labels;
using Mlops.Features.Storage;
using Mlops.Features.Streaming;
using Mlops.Features.TrainingSets;
using Mlops.Kafka;
using Mlops.ServiceDefaults;
using Mlops.ServiceDefaults.Configuration;

namespace Mlops.Features;

/// <summary>Registers what the features service needs.</summary>
internal static class FeaturesServiceExtensions
{
    /// <summary>Definitions, stores, streaming computation and label intake from Kafka, training sets and backfill.</summary>
    public static IHostApplicationBuilder AddFeaturesServices(this IHostApplicationBuilder builder)
    {
        // Shipped definitions sit below every other source, so configuration can replace them (a new version).
        builder.Configuration.AddShippedDefaults("features.json");

        builder.AddPlatformPostgres("features");
        builder.AddPlatformKafka();

        // The shipped set is held to the rules a registered set must pass: a bad one stops the service at start-up.
        builder.Services.AddOptions<FeatureDefinitions>().Bind(builder.Configuration.GetSection(FeatureDefinitions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<FeatureDefinitions>, FeatureDefinitionsValidation>();
        builder.Services.AddOptions<DefinitionSetOptions>().BindConfiguration(DefinitionSetOptions.Section)
            .Validate(o => o.RefreshInterval > TimeSpan.Zero, "Features:DefinitionSets:RefreshInterval must be positive").ValidateOnStart();
        builder.Services.AddOptions<FeatureTopics>().Bind(builder.Configuration.GetSection("Features:Topics"));
        builder.Services.AddOptions<LabelPublishingOptions>().BindConfiguration(LabelPublishingOptions.Section)
            .Validate(LabelPublishingOptions.IsValid, "Features:LabelPublishing: Interval and MaxRetryDelay must be positive, BatchSize 1..10000").ValidateOnStart();
        builder.Services.AddSingleton<LabelPublisher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LabelPublisher>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<FeatureDatabase>();
        builder.Services.TryAddSingleton<FeatureStore>();
        builder.Services.AddOptions<OnlineCacheOptions>().BindConfiguration(OnlineCacheOptions.Section)
            .Validate(OnlineCacheOptions.IsValid, "Features:OnlineCache:SizeLimitMegabytes must be 1 to 1,048,576").ValidateOnStart();
        builder.Services.TryAddSingleton<OnlineFeatureCache>();
        builder.Services.AddOptions<EntityWindowOptions>().BindConfiguration(EntityWindowOptions.Section)
            .Validate(EntityWindowOptions.IsValid, "Features:EntityWindows:MaxEntities must be 1 to 10,000,000").ValidateOnStart();
        builder.Services.TryAddSingleton<EntityWindowCache>();
        builder.Services.AddHostedService<OnlineVectorListener>();
        builder.Services.TryAddSingleton<RegisteredFeatureSetStore>();
        builder.Services.TryAddSingleton<FeatureSetCatalog>();
        builder.Services.TryAddTransient<PointInTimeTrainingSet>();
        builder.Services.TryAddTransient<Backfill>();
        builder.Services.TryAddTransient<PointInTimeVector>();
        builder.Services.TryAddTransient<DatasetVectors>();
        builder.Services.AddHttpClient<IngestionDatasetClient>(http =>
        {
            http.BaseAddress = new Uri(builder.Configuration["Features:IngestionBaseAddress"] ?? "http://127.0.0.1:58081/");
            http.Timeout = Timeout.InfiniteTimeSpan; // datasets stream for as long as they are
        });

        var topics = new FeatureTopics();
        builder.Configuration.GetSection("Features:Topics").Bind(topics);
        builder.AddKafkaBatchConsumer<ObservationAccepted, ObservationFeatureHandler>(topics.ObservationGroup, [topics.Observations], maxBatchSize: topics.StreamBatchSize);
        builder.AddKafkaConsumer<LabelRecorded, LabelHandler>(topics.LabelGroup, [topics.Labels]);
        return builder;
    }
}
