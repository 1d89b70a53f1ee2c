using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Messaging.Sagas;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// Starts due analyses: publishes <see cref="RolloutAnalysisDue"/> for each progressing rollout whose persisted due time
/// has passed (the saga takes a given analysis number once).
/// </summary>
public sealed class RolloutAnalysisSweeper(
    IServiceScopeFactory scopes, IOptions<RolloutOptions> options, TimeProvider time, ILogger<RolloutAnalysisSweeper> logger)
    : SagaTimerSweeper<RolloutState>(scopes, time, logger)
{
    const string Progressing = nameof(RolloutStateMachine.Progressing);

    protected override TimeSpan Interval => options.Value.SweepInterval;

    protected override ISagaQuery<RolloutState> Waiting { get; } = InState(Progressing);

    /// <summary>Rollouts in one state.</summary>
    internal static ISagaQuery<RolloutState> InState(string state) => new SagaStateQuery<RolloutState>(s => s.CurrentState == state);

    protected override object? DueSignal(RolloutState rollout, DateTimeOffset now) =>
        rollout is { CurrentState: Progressing, AnalysisDueAt: { } at } && at <= now
            ? new RolloutAnalysisDue { RolloutId = rollout.CorrelationId, Step = rollout.StepIndex, Analysis = rollout.AnalysisCount + 1 }
            : null;
}
