using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Inference.Models;

namespace Mlops.Inference.Lineage;

/// <summary>Registers the prediction log, its writer, purge and outbox relay, and the replay.</summary>
internal static class LineageServiceExtensions
{
    public static IHostApplicationBuilder AddPredictionLineage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PredictionLogOptions>().BindConfiguration(PredictionLogOptions.Section)
            .Validate(o => o.Retention > TimeSpan.Zero, "Inference:PredictionLog:Retention must be positive")
            .Validate(o => o.PurgeInterval > TimeSpan.Zero, "Inference:PredictionLog:PurgeInterval must be positive")
            .Validate(o => o.Capacity >= 1, "Inference:PredictionLog:Capacity must be at least 1")
            .Validate(o => o.BatchSize >= 1, "Inference:PredictionLog:BatchSize must be at least 1")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Topic), "Inference:PredictionLog:Topic is required")
            .Validate(o => o.PublishBatchSize >= 1, "Inference:PredictionLog:PublishBatchSize must be at least 1")
            .Validate(o => o.PublishPollInterval > TimeSpan.Zero, "Inference:PredictionLog:PublishPollInterval must be positive")
            .Validate(o => o.WriteWait >= TimeSpan.Zero, "Inference:PredictionLog:WriteWait must not be negative")
            .Validate(o => o.PublishQueue >= 1, "Inference:PredictionLog:PublishQueue must be at least 1")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<PredictionLog>();
        builder.Services.TryAddSingleton<PredictionLogDatabase>();
        builder.Services.TryAddSingleton<PredictionLogStore>();
        builder.Services.TryAddSingleton<PredictionLogPurger>();
        builder.Services.TryAddSingleton<PredictionOutboxRelay>();
        builder.Services.TryAddSingleton<ReplayModels>();
        builder.Services.TryAddTransient<PredictionReplayer>();
        builder.Services.AddHttpClient<RegistryLineageClient>((sp, http) => http.BaseAddress = Inference(sp).RegistryBaseAddress);
        builder.Services.AddHttpClient<PointInTimeFeaturesClient>((sp, http) =>
        {
            http.BaseAddress = Inference(sp).FeaturesBaseAddress;
            http.Timeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddHostedService<PredictionLogWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PredictionOutboxRelay>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PredictionLogPurger>());
        return builder;
    }

    static InferenceOptions Inference(IServiceProvider services) => services.GetRequiredService<IOptions<InferenceOptions>>().Value;
}
