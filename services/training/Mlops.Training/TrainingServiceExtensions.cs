using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Messaging;
using Mlops.Messaging.Sagas;
using Mlops.Onnx;
using Mlops.ServiceDefaults;
using Mlops.Training.Data;
using Mlops.Training.Pipeline;
using Mlops.Training.Registry;
using Mlops.Training.Scoring;
using Mlops.Training.Tracking;

namespace Mlops.Training;

/// <summary>Registers what the training service needs.</summary>
internal static class TrainingServiceExtensions
{
    /// <summary>The training service's dependencies; readiness follows them.</summary>
    public static IHostApplicationBuilder AddTrainingServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformPostgres("training");
        var section = builder.Configuration.GetSection(TrainingOptions.SectionName);
        builder.Services.Configure<TrainingOptions>(section);
        var options = section.Get<TrainingOptions>() ?? new TrainingOptions();

        builder.Services.TryAddSingleton(CodeVersion.Resolve(options.CodeVersion, builder.Environment.ContentRootPath));
        builder.Services.TryAddSingleton<RunStore>();
        builder.Services.TryAddSingleton<RunWorkspace>();
        builder.Services.TryAddSingleton<WorkspaceStore>();
        builder.Services.TryAddScoped<TrainingStepRunner>();
        // Scoped: it holds typed HTTP clients, which must not be captured for the process's lifetime.
        builder.Services.TryAddScoped<TrainingPipeline>();
        builder.Services.TryAddSingleton<OnnxRuntimeScorer>();
        builder.Services.TryAddSingleton<IOnnxModelScorer>(sp => sp.GetRequiredService<OnnxRuntimeScorer>());
        builder.Services.TryAddSingleton<IOnnxLatencyProbe>(sp => sp.GetRequiredService<OnnxRuntimeScorer>());
        builder.Services.AddHostedService<RunStoreInitializer>();
        builder.Services.AddHttpClient<ITrainingSetSource, HttpTrainingSetSource>((sp, http) =>
        {
            var address = sp.GetRequiredService<IOptions<TrainingOptions>>().Value.FeaturesBaseAddress
                ?? throw new InvalidOperationException("Training:FeaturesBaseAddress is not configured.");
            http.BaseAddress = new Uri(address.TrimEnd('/') + "/");
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
        builder.Services.AddHttpClient<IModelArtifactSink, RegistryArtifactSink>((sp, http) =>
        {
            var address = sp.GetRequiredService<IOptions<TrainingOptions>>().Value.RegistryBaseAddress
                ?? throw new InvalidOperationException("Training:RegistryBaseAddress is not configured.");
            http.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        });

        builder.AddPlatformMessaging(bus =>
        {
            bus.AddSagaStateMachine<TrainingRunStateMachine, TrainingRunState>()
                .Endpoint(e => Configure(e, options, "pipeline"))
                .PostgresRepository(o => o.SagaTypeName = "training.run-pipeline");
            bus.AddConsumer<TrainingStepConsumer, TrainingStepConsumerDefinition>().Endpoint(e => Configure(e, options, "steps"));
            bus.AddConsumer<CancelRunningStepConsumer>().Endpoint(e => Configure(e, options, "cancel-running-step"));
            bus.AddConsumer<RunOutcomeConsumer>().Endpoint(e => Configure(e, options, "run-outcomes"));
        });
        return builder;
    }

    static void Configure(IEndpointRegistrationConfigurator endpoint, TrainingOptions options, string name)
    {
        endpoint.Name = $"{options.EndpointPrefix}-{name}";
        if (options.TemporaryEndpoints)
        {
            endpoint.AddConfigureEndpointCallback(c =>
            {
                if (c is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.AutoDelete = true;
                }
            });
        }
    }

    /// <summary>Creates the tracking tables before the first message or request needs them.</summary>
    sealed class RunStoreInitializer(RunStore runs) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => runs.EnsureSchemaAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
