using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Monitoring;
using Mlops.Messaging.Sagas;

namespace Mlops.Monitoring.Retraining;

/// <summary>
/// Publishes <see cref="RetrainingTimedOut"/> for each retraining under way whose persisted deadline has passed (no broker
/// scheduler is available; the saga acts on a signal for its current state only, so a repeated one is harmless).
/// </summary>
public sealed class RetrainingSweeper(
    IServiceScopeFactory scopes, IOptions<RetrainingOptions> options, TimeProvider time, ILogger<RetrainingSweeper> logger)
    : SagaTimerSweeper<RetrainingState>(scopes, time, logger)
{
    protected override TimeSpan Interval => options.Value.SweepInterval;

    // Finished retrainings have no deadline; the filter keeps the sweep to the few under way.
    protected override ISagaQuery<RetrainingState> Waiting { get; } = new SagaStateQuery<RetrainingState>(s => s.DeadlineAt != null);

    /// <summary>Retrainings in one state.</summary>
    internal static ISagaQuery<RetrainingState> InState(string state) => new SagaStateQuery<RetrainingState>(s => s.CurrentState == state);

    protected override object? DueSignal(RetrainingState retraining, DateTimeOffset now) =>
        retraining is { DeadlineAt: { } at } && at <= now && RetrainingStateMachine.ActiveStates.Contains(retraining.CurrentState)
            ? new RetrainingTimedOut { RetrainingId = retraining.CorrelationId, State = retraining.CurrentState }
            : null;
}
