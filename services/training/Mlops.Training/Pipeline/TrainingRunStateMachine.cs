using MassTransit;
using Mlops.Contracts.Training;

namespace Mlops.Training.Pipeline;

/// <summary>
/// ValidateData → BuildTrainingSet → Split → Train → Evaluate → Export → Verify → Register → Completed; any step can end
/// the run Failed (with step and reason) and a cancel ends it Cancelled. Transitions only send the next step command:
/// the work itself runs in <see cref="TrainingStepConsumer"/>.
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

        for (var i = 0; i < steps.Length; i++)
        {
            var step = steps[i].Name;
            var completed = When(StepCompleted, c => c.Message.Step == step)
                .Then(c => c.Saga.ArtifactSha256 = c.Message.ArtifactSha256 ?? c.Saga.ArtifactSha256);
            if (i + 1 < steps.Length)
            {
                var next = steps[i + 1];
                During(steps[i], completed.TransitionTo(next).Publish(c => StepCommand(c.Saga, next.Name)));
            }
            else
            {
                During(steps[i], completed
                    .Then(c => c.Saga.FinishedAt = DateTimeOffset.UtcNow)
                    .TransitionTo(Completed)
                    .Publish(c => new TrainingRunCompleted
                    {
                        RunId = c.Saga.CorrelationId,
                        ModelName = c.Saga.Request!.ModelName,
                        ModelVersion = TrainingPipeline.ModelVersionOf(c.Saga.Request),
                        ArtifactSha256 = c.Saga.ArtifactSha256 ?? "",
                    }));
            }
        }

        During(steps,
            Ignore(Started),
            When(StepFailed, c => c.Message.Step == c.Saga.CurrentState)
                .Then(c =>
                {
                    c.Saga.FailedStep = c.Message.Step;
                    c.Saga.Reason = c.Message.Reason;
                    c.Saga.FinishedAt = DateTimeOffset.UtcNow;
                })
                .TransitionTo(Failed)
                .Publish(c => new TrainingRunFailed
                {
                    RunId = c.Saga.CorrelationId, ModelName = c.Saga.Request!.ModelName, Step = c.Message.Step, Reason = c.Message.Reason,
                }),
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
            Ignore(Started), Ignore(StepCompleted), Ignore(StepFailed), Ignore(CancelRequested));
    }

    public State ValidateData { get; private set; } = null!;
    public State BuildTrainingSet { get; private set; } = null!;
    public State Split { get; private set; } = null!;
    public State Train { get; private set; } = null!;
    public State Evaluate { get; private set; } = null!;
    public State Export { get; private set; } = null!;
    public State Verify { get; private set; } = null!;
    public State Register { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Cancelled { get; private set; } = null!;

    public Event<StartTrainingRun> Started { get; private set; } = null!;
    public Event<TrainingStepCompleted> StepCompleted { get; private set; } = null!;
    public Event<TrainingStepFailed> StepFailed { get; private set; } = null!;
    public Event<CancelTrainingRun> CancelRequested { get; private set; } = null!;

    static ExecuteTrainingStep StepCommand(TrainingRunState saga, string step) =>
        new() { RunId = saga.CorrelationId, Step = step, Request = saga.Request! };
}
