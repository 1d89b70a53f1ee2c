using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Kafka;
using Mlops.Messaging;
using Mlops.Monitoring.Alerts;
using Mlops.Monitoring.Api;
using Mlops.Monitoring.Profiles;
using Mlops.Monitoring.Retraining;
using Mlops.Monitoring.Performance;
using Mlops.Monitoring.Slo;
using Mlops.Monitoring.Storage;
using Mlops.Monitoring.Streaming;
using Mlops.Monitoring.Webhooks;
using Mlops.Monitoring.Windows;
using Mlops.ServiceDefaults;
using Mlops.ServiceDefaults.Health;

namespace Mlops.Monitoring;

/// <summary>Registers what the monitoring service needs.</summary>
internal static class MonitoringServiceExtensions
{
    /// <summary>The monitoring service's dependencies; readiness follows them.</summary>
    public static IHostApplicationBuilder AddMonitoringServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformPostgres("monitoring");
        builder.AddPlatformKafka();
        var retraining = builder.Configuration.GetSection(RetrainingOptions.Section).Get<RetrainingOptions>() ?? new RetrainingOptions();
        builder.AddPlatformMessaging(bus =>
        {
            bus.AddConsumer<ModelVersionRegisteredConsumer, ModelVersionRegisteredConsumerDefinition>();
            bus.AddRetraining(retraining.Endpoint);
        });
        builder.AddRetrainingServices();

        builder.Services.AddOptions<MonitoringOptions>().BindConfiguration(MonitoringOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddDriftOptions();
        builder.Services.AddOptions<PerformanceOptions>().BindConfiguration(PerformanceOptions.Section).ValidateDataAnnotations()
            .Validate<Microsoft.Extensions.Options.IOptions<DriftOptions>>(
                (o, drift) => o.IsValid(drift.Value.Retention, out _),
                "Monitoring:Performance is invalid: durations must be positive and horizon + window + lateness shorter than the drift retention")
            .ValidateOnStart();

        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.Timeout > TimeSpan.Zero && o.BaseDelay > TimeSpan.Zero && o.MaxDelay >= o.BaseDelay,
                "Monitoring:Webhooks: PollInterval, Timeout and BaseDelay must be positive, MaxDelay at least BaseDelay")
            .ValidateOnStart();

        builder.Services.AddOptions<SloOptions>().BindConfiguration(SloOptions.Section)
            .Validate(o => o.IsValid(out _), "Monitoring:Slo is invalid: objectives in (0, 1), a positive latency threshold, positive intervals, and rules with page/ticket severity, ShortWindow ≥ ScrapeInterval, LongWindow > ShortWindow, BurnRate > 0")
            .ValidateOnStart();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<MonitoringDatabase>();
        builder.Services.TryAddSingleton<ReferenceProfileStore>();
        builder.Services.TryAddSingleton<DriftWindowStore>();
        builder.Services.TryAddSingleton<DriftAlertPublisher>();
        builder.Services.TryAddSingleton<DriftReportReader>();
        builder.Services.AddHttpClient<TrainingProfileClient>((sp, http) =>
        {
            http.BaseAddress = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<MonitoringOptions>>().Value.TrainingBaseAddress;
            http.Timeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.TryAddSingleton<PerformanceStore>();
        builder.Services.TryAddSingleton<AlertOutboxPublisher>();
        builder.Services.TryAddSingleton<PerformanceReportReader>();
        builder.Services.TryAddSingleton<VariantQualityReader>();
        builder.Services.AddHostedService<DriftWindowEvaluator>();
        builder.Services.AddHostedService<PerformanceEvaluator>();
        builder.Services.TryAddSingleton<WebhookStore>();
        // Redirects are not followed: a delivery goes to the URL subscribed, nowhere else.
        builder.Services.AddHttpClient(WebhookSender.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        builder.Services.AddHostedService<WebhookSender>();

        builder.Services.TryAddSingleton<SloStore>();
        builder.Services.TryAddSingleton<SloScrapeStatus>();
        builder.Services.AddHttpClient(InferenceMetricsClient.HttpClientName);
        builder.Services.TryAddSingleton<InferenceMetricsClient>();
        builder.Services.AddHostedService<SloScraper>();
        // Inference unreadable is Degraded, never Unhealthy: drift and performance do not need it.
        builder.Services.AddHealthChecks().AddCheck<SloScrapeHealthCheck>(SloScrapeHealthCheck.Name, HealthStatus.Degraded, [HealthTags.Ready]);

        var options = builder.Configuration.GetSection(MonitoringOptions.Section).Get<MonitoringOptions>() ?? new MonitoringOptions();
        // Up to 1,500 records a poll: with the 3 partitions of a topic, about 500 per statement when monitoring is behind.
        const int StreamBatch = 1500;
        builder.AddKafkaBatchConsumer<FeatureVectorUpdated, FeatureVectorsHandler>($"{options.ConsumerGroup}-features", [options.FeaturesTopic], StreamBatch);
        builder.AddKafkaBatchConsumer<PredictionMade, PredictionsHandler>($"{options.ConsumerGroup}-predictions", [options.PredictionsTopic], StreamBatch);
        builder.AddKafkaBatchConsumer<LabelRecorded, LabelsHandler>($"{options.ConsumerGroup}-labels", [options.LabelsTopic]);
        return builder;
    }

    /// <summary>
    /// <see cref="DriftOptions"/> bound and validated at start; a bad setting fails the start with its own name (which
    /// model's override, which setting), not a message for the whole section.
    /// </summary>
    internal static OptionsBuilder<DriftOptions> AddDriftOptions(this IServiceCollection services) =>
        services.AddOptions<DriftOptions>().BindConfiguration(DriftOptions.Section).ValidateDataAnnotations()
            .ValidateProblem(o => o.IsValid(out var problem) ? null : problem)
            .ValidateOnStart();
}
