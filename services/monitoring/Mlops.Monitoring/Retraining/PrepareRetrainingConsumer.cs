using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Settings;

namespace Mlops.Monitoring.Retraining;

/// <summary>
/// Reads the champion (registry) and the run it came from (training) to reuse its recipe — algorithm, fixed
/// hyperparameters, label, features, seed — takes a fresh dataset snapshot (ingestion) in the scope of the champion's
/// and, when the model's settings name a <see cref="RetrainingModelOptions.TrainingWindow"/>, the start of the recent
/// window to train on.
/// </summary>
public sealed class PrepareRetrainingConsumer(
    RegistryClient registry, TrainingRunClient training, DatasetClient datasets, ModelSettingsStore settings, IOptions<RetrainingOptions> options,
    TimeProvider clock, ILogger<PrepareRetrainingConsumer> logger)
    : IConsumer<PrepareRetraining>
{
    public async Task Consume(ConsumeContext<PrepareRetraining> context)
    {
        var command = context.Message;
        using var activity = MonitoringTelemetry.Source.StartActivity("retraining prepare");
        activity?.SetTag("mlops.retraining_id", command.RetrainingId);
        activity?.SetTag("mlops.model", command.ModelName);
        try
        {
            var prepared = await DependencyRetry.WhileRecoveringAsync(RetrainingStateMachine.StepPrepare, () => PrepareAsync(command, context.CancellationToken),
                options.Value.DependencyRetryLimit, logger, context.CancellationToken);
            await context.Publish(prepared);
        }
        catch (RetrainingStepException e)
        {
            await context.Publish(new RetrainingStepFailed { RetrainingId = command.RetrainingId, Step = RetrainingStateMachine.StepPrepare, Reason = e.Message });
        }
    }

    async Task<RetrainingPrepared> PrepareAsync(PrepareRetraining command, CancellationToken ct)
    {
        var champion = await registry.ChampionAsync(command.ModelName, ct) ?? throw new RetrainingStepException($"model {command.ModelName} is not registered");
        var run = await training.GetAsync(champion.TrainingRunId, ct);
        var recipe = run.Parameters;
        var algorithm = recipe["algorithm"]?.GetValue<string>() ?? throw new RetrainingStepException($"training run {run.RunId} records no algorithm");
        var label = recipe["labelName"]?.GetValue<string>() ?? throw new RetrainingStepException($"training run {run.RunId} records no label");
        var hyperparameters = recipe["hyperparameters"]?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<double>()) ?? [];
        var features = recipe["features"]?.AsArray().Select(f => f!.GetValue<string>()).ToList() ?? [];
        var seed = recipe["seed"]?.GetValue<int>() ?? 0;
        var dataset = await datasets.SnapshotAsync(command.RetrainingId, command.ModelName, champion.DatasetVersion, ct);
        // The window is fixed here, once: a retried or resumed training run asks for the same labels.
        var window = (await settings.RetrainingAsync(command.ModelName, ct))?.TrainingWindow;
        return new RetrainingPrepared
        {
            RetrainingId = command.RetrainingId, ChampionVersion = champion.Version, ChampionRunId = champion.TrainingRunId, DatasetVersion = dataset,
            FeatureSetVersion = champion.FeatureSetVersion, LabelName = label, Algorithm = algorithm, Hyperparameters = hyperparameters, Features = features, Seed = seed,
            LabelsFrom = window is { } recent ? clock.GetUtcNow() - recent : null,
        };
    }
}
