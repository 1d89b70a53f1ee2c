using MassTransit;
using Mlops.Contracts.Registry;
using Mlops.Contracts.Training;

namespace Mlops.Training.Pipeline;

/// <summary>
/// ValidateData → BuildTrainingSet → Split → Train → Evaluate → Export → Verify → Register → AwaitingRegistration →
/// Completed. The run completes only when the registry confirms the version (<see cref="ModelVersionRegistered"/> for
/// this run); a refusal (<see cref="RegistryCommandRejected"/> for this run) or no answer within the confirmation
/// timeout (<see cref="TrainingRegistrationTimedOut"/>) fails it at Register. Any step can end the run Failed (with
/// step and reason) and a cancel ends it Cancelled. Transitions only send the next step command: the work itself runs
/// in <see cref="TrainingStepConsumer"/>.
/// </summary>
public sealed class TrainingRunStateMachine : MassTransitStateMachine<TrainingRunState>
{
    public TrainingRunStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => Started, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => StepCompleted, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => StepFailed, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => CancelRequested, e =>
        {
            e.CorrelateById(m => m.Message.RunId);
            e.OnMissingInstance(m => m.Discard());
        });
        // Every registration and refusal reaches this queue; only those naming one of this service's runs have an instance.
        Event(() => Registered, e =>
        {
            e.CorrelateById(m => RunIdOf(m.Message.TrainingRunId));
            e.OnMissingInstance(m => m.Discard());
        });
        Event(() => Refused, e =>
        {
            e.CorrelateById(m => RunIdOf(m.Message.TrainingRunId));
            e.OnMissingInstance(m => m.Discard());
        });
        Event(() => RegistrationTimedOut, e =>
        {
            e.CorrelateById(m => m.Message.RunId);
            e.OnMissingInstance(m => m.Discard());
        });

        State[] steps = [ValidateData, BuildTrainingSet, Split, Train, Evaluate, Export, Verify, Register];

        Initially(
            When(Started)
                .Then(c =>
                {
                    c.Saga.Request = c.Message;
                    c.Saga.StartedAt = DateTimeOffset.UtcNow;
                })
                .TransitionTo(ValidateData)
                .Publish(c => StepCommand(c.Saga, TrainingSteps.ValidateData)));

        for (var i = 0; i + 1 < steps.Length; i++)
        {
            var next = steps[i + 1];
            var step = steps[i].Name;
            During(steps[i], When(StepCompleted, c => c.Message.Step == step)
                .Then(c => c.Saga.ArtifactSha256 = c.Message.ArtifactSha256 ?? c.Saga.ArtifactSha256)
                .TransitionTo(next)
                .Publish(c => StepCommand(c.Saga, next.Name)));
        }

        // The command is sent: now the registry's answer decides.
        During(Register, When(StepCompleted, c => c.Message.Step == TrainingSteps.Register)
            .Then(c =>
            {
                c.Saga.ArtifactSha256 = c.Message.ArtifactSha256 ?? c.Saga.ArtifactSha256;
                c.Saga.RegistrationSentAt = DateTimeOffset.UtcNow;
            })
            .TransitionTo(AwaitingRegistration));

        // The registry can answer before the step's own completion arrives, so both states listen.
        During(Register, AwaitingRegistration,
            When(Registered, c => c.Message.ModelName == c.Saga.Request!.ModelName && c.Message.Version == TrainingPipeline.ModelVersionOf(c.Saga.Request))
                .Then(c =>
                {
                    c.Saga.ArtifactSha256 = c.Message.ArtifactSha256;
                    c.Saga.FinishedAt = DateTimeOffset.UtcNow;
                })
                .TransitionTo(Completed)
                .Publish(c => new TrainingRunCompleted
                {
                    RunId = c.Saga.CorrelationId,
                    ModelName = c.Message.ModelName,
                    ModelVersion = c.Message.Version,
                    ArtifactSha256 = c.Message.ArtifactSha256,
                }),
            When(Refused, c => c.Message.Command == nameof(RegisterModelVersion))
                .Then(c => Fail(c.Saga, TrainingSteps.Register, "the registry refused the model version: " + string.Join("; ", c.Message.Errors)))
                .TransitionTo(Failed)
                .Publish(c => FailedEvent(c.Saga)),
            When(RegistrationTimedOut)
                .Then(c => Fail(c.Saga, TrainingSteps.Register,
                    $"the registry neither confirmed nor refused the model version within {c.Message.Waited:g}"))
                .TransitionTo(Failed)
                .Publish(c => FailedEvent(c.Saga)));

        // A redelivered completion of Register.
        During(AwaitingRegistration, Ignore(StepCompleted));
        During(steps.Take(steps.Length - 1).ToArray(), Ignore(Registered), Ignore(Refused), Ignore(RegistrationTimedOut));

        State[] running = [.. steps, AwaitingRegistration];
        During(running,
            Ignore(Started),
            When(StepFailed, c => c.Message.Step == c.Saga.CurrentState)
                .Then(c => Fail(c.Saga, c.Message.Step, c.Message.Reason))
                .TransitionTo(Failed)
                .Publish(c => FailedEvent(c.Saga)),
            When(CancelRequested)
                .Then(c =>
                {
                    c.Saga.FailedStep = c.Saga.CurrentState;
                    c.Saga.CancelledBy = c.Message.RequestedBy;
                    c.Saga.FinishedAt = DateTimeOffset.UtcNow;
                })
                .Publish(c => new TrainingRunCancelled
                {
                    RunId = c.Saga.CorrelationId, ModelName = c.Saga.Request!.ModelName, Step = c.Saga.CurrentState, CancelledBy = c.Message.RequestedBy,
                })
                .TransitionTo(Cancelled));

        // Late or redelivered messages after the outcome change nothing.
        During(Completed, Failed, Cancelled,
            Ignore(Started), Ignore(StepCompleted), Ignore(StepFailed), Ignore(CancelRequested),
            Ignore(Registered), Ignore(Refused), Ignore(RegistrationTimedOut));
    }

    public State ValidateData { get; private set; } = null!;
    public State BuildTrainingSet { get; private set; } = null!;
    public State Split { get; private set; } = null!;
    public State Train { get; private set; } = null!;
    public State Evaluate { get; private set; } = null!;
    public State Export { get; private set; } = null!;
    public State Verify { get; private set; } = null!;
    public State Register { get; private set; } = null!;

    /// <summary><c>RegisterModelVersion</c> sent; waiting for the registry's confirmation or refusal.</summary>
    public State AwaitingRegistration { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Cancelled { get; private set; } = null!;

    public Event<StartTrainingRun> Started { get; private set; } = null!;
    public Event<TrainingStepCompleted> StepCompleted { get; private set; } = null!;
    public Event<TrainingStepFailed> StepFailed { get; private set; } = null!;
    public Event<CancelTrainingRun> CancelRequested { get; private set; } = null!;
    public Event<ModelVersionRegistered> Registered { get; private set; } = null!;
    public Event<RegistryCommandRejected> Refused { get; private set; } = null!;
    public Event<TrainingRegistrationTimedOut> RegistrationTimedOut { get; private set; } = null!;

    static ExecuteTrainingStep StepCommand(TrainingRunState saga, string step) =>
        new() { RunId = saga.CorrelationId, Step = step, Request = saga.Request! };

    // Registrations by people or other tools carry no run id (or not a GUID): they correlate with no instance.
    static Guid RunIdOf(string? trainingRunId) => Guid.TryParse(trainingRunId, out var id) ? id : Guid.Empty;

    static void Fail(TrainingRunState saga, string step, string reason)
    {
        saga.FailedStep = step;
        saga.Reason = reason;
        saga.FinishedAt = DateTimeOffset.UtcNow;
    }

    static TrainingRunFailed FailedEvent(TrainingRunState saga) => new()
    {
        RunId = saga.CorrelationId, ModelName = saga.Request!.ModelName, Step = saga.FailedStep!, Reason = saga.Reason!,
    };
}
