using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Training;
using Mlops.Messaging.Sagas;

namespace Mlops.Training.Pipeline;

/// <summary>
/// Fails runs the registry never answered: publishes <see cref="TrainingRegistrationTimedOut"/> for each run waiting
/// longer than the confirmation timeout, counted from the time persisted in the saga, so a restart of the service, or
/// a run that started on another replica, loses nothing; the saga ignores a second timeout once the run has failed.
/// </summary>
public sealed class RegistrationTimeoutSweeper(
    IServiceScopeFactory scopes, IOptions<RegistrationOptions> options, TimeProvider time, ILogger<RegistrationTimeoutSweeper> logger)
    : SagaTimerSweeper<TrainingRunState>(scopes, time, logger)
{
    const string Awaiting = nameof(TrainingRunStateMachine.AwaitingRegistration);

    protected override TimeSpan Interval => options.Value.SweepInterval;

    protected override ISagaQuery<TrainingRunState> Waiting { get; } = new SagaStateQuery<TrainingRunState>(s => s.CurrentState == Awaiting);

    protected override object? DueSignal(TrainingRunState run, DateTimeOffset now) =>
        run is { CurrentState: Awaiting, RegistrationSentAt: { } sentAt } && now - sentAt >= options.Value.ConfirmationTimeout
            ? new TrainingRegistrationTimedOut { RunId = run.CorrelationId, Waited = now - sentAt }
            : null;

    protected override void Published(TrainingRunState run) => TrainingMetrics.RegistrationTimeouts.Add(1);
}
