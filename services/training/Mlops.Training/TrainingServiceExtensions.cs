using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Training;
using Mlops.Messaging;
using Mlops.Messaging.Sagas;
using Mlops.Onnx;
using Mlops.ServiceDefaults;
using Mlops.ServiceDefaults.Resilience;
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
        builder.Services.AddOptions<TrainingOptions>().BindConfiguration(TrainingOptions.Section)
            .Validate(TrainingOptions.IsValid, "Training: fractions must lie in (0, 1), MaxMissingRate in [0, 1], MinFeatures, MinRows, MaxSubgroups and LatencySamples must be positive")
            .ValidateOnStart();
        builder.Services.AddOptions<QualityGateOptions>().BindConfiguration(QualityGateOptions.Section)
            .Validate(QualityGateOptions.IsValid, "Training:QualityGate:MinAurocMargin must lie in [0, 0.5)")
            .ValidateOnStart();
        builder.Services.AddOptions<RegistrationOptions>().BindConfiguration(RegistrationOptions.Section)
            .Validate(RegistrationOptions.IsValid, "Training:Registration:ConfirmationTimeout and SweepInterval must be positive")
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(TrainingOptions.Section).Get<TrainingOptions>() ?? new TrainingOptions();

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
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RegistrationTimeoutSweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RegistrationTimeoutSweeper>());
        builder.Services.AddHttpClient<ITrainingSetSource, HttpTrainingSetSource>((sp, http) =>
        {
            var address = sp.GetRequiredService<IOptions<TrainingOptions>>().Value.FeaturesBaseAddress
                ?? throw new InvalidOperationException("Training:FeaturesBaseAddress is not configured.");
            http.BaseAddress = new Uri(address.TrimEnd('/') + "/");
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
        builder.Services.AddHttpClient<IFeatureCatalog, HttpFeatureCatalog>((sp, http) =>
        {
            var address = sp.GetRequiredService<IOptions<TrainingOptions>>().Value.FeaturesBaseAddress
                ?? throw new InvalidOperationException("Training:FeaturesBaseAddress is not configured.");
            http.BaseAddress = new Uri(address.TrimEnd('/') + "/");
            http.Timeout = TimeSpan.FromSeconds(5);
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
                .Endpoint(e => e.Name = "training-pipeline")
                // Durable outbox: each step command and outcome event is committed with the state that produced it and
                // delivered by the relay, so a crash between the commit and the broker cannot strand a run.
                .PostgresRepository(o =>
                {
                    o.SagaTypeName = "training.run-pipeline";
                    o.Outbox = true;
                });
            bus.AddConsumer<TrainingStepConsumer, TrainingStepConsumerDefinition>().Endpoint(e => e.Name = "training-steps");
            bus.AddConsumer<CancelRunningStepConsumer>().Endpoint(e => e.Name = "training-cancel-running-step");
            bus.AddConsumer<RunOutcomeConsumer>().Endpoint(e => e.Name = "training-run-outcomes");
            // The command queues of the convention, for senders that send rather than publish.
            bus.AddConsumer<StartTrainingRunCommandConsumer>().Endpoint(e => CommandQueue<StartTrainingRun>(e));
            bus.AddConsumer<CancelTrainingRunCommandConsumer>().Endpoint(e => CommandQueue<CancelTrainingRun>(e));
        });
        return builder;
    }

    static void CommandQueue<TCommand>(IEndpointRegistrationConfigurator endpoint)
        where TCommand : class
    {
        endpoint.Name = CommandQueues.NameOf<TCommand>();
        // Bound to no exchange: a published command reaches its subscribers directly and must not come back here.
        endpoint.ConfigureConsumeTopology = false;
    }

    /// <summary>
    /// Creates the tracking tables before the first message or request needs them. A database that does not answer
    /// yet (starting, or too busy to accept a connection in time) is waited for, not a crash at start-up.
    /// </summary>
    sealed class RunStoreInitializer(RunStore runs, ILogger<RunStoreInitializer> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var delay = TimeSpan.FromMilliseconds(250);
            while (true)
            {
                try
                {
                    await runs.EnsureSchemaAsync(cancellationToken);
                    return;
                }
                catch (Exception ex) when (TransientFailure.Is(ex, cancellationToken))
                {
                    logger.LogWarning("Training database not ready ({Reason}); retrying in {Delay}", ex.Message, delay);
                    await Task.Delay(delay, cancellationToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                }
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
