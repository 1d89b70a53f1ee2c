using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Monitoring;
using Mlops.Messaging.Sagas;
using Mlops.Monitoring.Settings;
using Npgsql;
using Quartz;

namespace Mlops.Monitoring.Retraining;

/// <summary>Registers the retraining saga, its step consumers, triggers, sweeper and schedules.</summary>
public static class RetrainingServiceExtensions
{
    /// <summary>Options, the clients of the registry, training and ingestion, the store, the sweeper and the Quartz schedules.</summary>
    public static IHostApplicationBuilder AddRetrainingServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetrainingOptions>().BindConfiguration(RetrainingOptions.Section)
            .Validate(RetrainingOptions.IsValid, "Monitoring:Retraining is invalid: durations positive, tolerances ≥ 0, MinAurocGain in [-1, 1], RegistryBaseAddress and IngestionBaseAddress absolute, rollout steps rising within 1–100, schedules valid Quartz cron expressions")
            .ValidateOnStart();
        builder.Services.AddSingleton<RetrainingStore>();
        builder.Services.AddHttpClient<RegistryClient>((sp, http) =>
        {
            http.BaseAddress = sp.GetRequiredService<IOptions<RetrainingOptions>>().Value.RegistryBaseAddress;
            http.Timeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddHttpClient<TrainingRunClient>((sp, http) =>
        {
            http.BaseAddress = sp.GetRequiredService<IOptions<MonitoringOptions>>().Value.TrainingBaseAddress;
            http.Timeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddHttpClient<DatasetClient>((sp, http) =>
        {
            http.BaseAddress = sp.GetRequiredService<IOptions<RetrainingOptions>>().Value.IngestionBaseAddress;
            http.Timeout = TimeSpan.FromSeconds(60);
        });
        builder.Services.AddSingleton<RetrainingSweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RetrainingSweeper>());

        var models = builder.Configuration.GetSection(RetrainingOptions.Section).Get<RetrainingOptions>()?.Models ?? [];
        builder.Services.AddQuartz(quartz =>
        {
            foreach (var (name, model) in models.Where(m => !string.IsNullOrWhiteSpace(m.Value.Schedule)))
            {
                // As RetrainingSchedules.Build does for schedules set over the API.
                quartz.ScheduleJob<ScheduledRetrainingJob>(
                    trigger => trigger.WithIdentity(RetrainingSchedules.TriggerOf(name)).WithDescription(model.Schedule!).UsingJobData(ScheduledRetrainingJob.ModelKey, name)
                        .WithCronSchedule(model.Schedule!, cron => cron.InTimeZone(RetrainingSchedules.ZoneOf(model.TimeZone))
                            .WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed)),
                    job => job.WithIdentity(RetrainingSchedules.JobOf(name)));
            }
        });
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        // Schedules set over the API (GET/PUT /api/monitoring/models/{model}/settings) join the shipped ones.
        builder.Services.AddSingleton<ModelSettingsStore>();
        builder.Services.AddSingleton<RetrainingScheduleSync>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RetrainingScheduleSync>());
        return builder;
    }

    /// <summary>The saga on the PostgreSQL repository with the durable outbox, its step consumers and the triggers.</summary>
    public static IBusRegistrationConfigurator AddRetraining(this IBusRegistrationConfigurator bus, string endpoint)
    {
        bus.AddSagaStateMachine<RetrainingStateMachine, RetrainingState>()
            .Endpoint(e => e.Name = endpoint)
            // Commands to the steps and RetrainingCompleted are committed with the state that produced them.
            .PostgresRepository(o =>
            {
                o.SagaTypeName = "monitoring.retraining";
                o.DataSource = sp => sp.GetRequiredService<NpgsqlDataSource>();
                o.Outbox = true;
            });
        bus.AddConsumer<RequestRetrainingConsumer>().Endpoint(e => CommandQueue<RequestRetraining>(e));
        bus.AddConsumer<PrepareRetrainingConsumer>().Endpoint(e => CommandQueue<PrepareRetraining>(e));
        bus.AddConsumer<EvaluateRetrainingCandidateConsumer>().Endpoint(e => CommandQueue<EvaluateRetrainingCandidate>(e));
        bus.AddConsumer<StartRetrainingRolloutConsumer>().Endpoint(e => CommandQueue<StartRetrainingRollout>(e));
        bus.AddConsumer<RetrainingCompletedConsumer>().Endpoint(e => e.Name = "monitoring-retraining-completed");
        bus.AddConsumer<DriftRetrainingTrigger>().Endpoint(e => e.Name = "monitoring-retraining-drift");
        bus.AddConsumer<DegradationRetrainingTrigger>().Endpoint(e => e.Name = "monitoring-retraining-degradation");
        return bus;
    }

    static void CommandQueue<TCommand>(IEndpointRegistrationConfigurator endpoint)
        where TCommand : class
    {
        endpoint.Name = CommandQueues.NameOf<TCommand>();
        endpoint.ConfigureConsumeTopology = false;
    }
}
