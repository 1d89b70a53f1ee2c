using MassTransit;

namespace Mlops.Messaging.CrashingSaga;

/// <summary>Every event the run applies publishes one numbered <see cref="OutboxRunStepRequested"/>, like the training pipeline's step commands.</summary>
public sealed class OutboxRunStateMachine : MassTransitStateMachine<OutboxRunState>
{
    /// <summary>Defines states, events and transitions.</summary>
    public OutboxRunStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => Submitted, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => StepCompleted, e => e.CorrelateById(m => m.Message.RunId));

        Initially(
            When(Submitted)
                .Then(c => c.Saga.RequestedBy = c.Message.RequestedBy)
                .TransitionTo(Running)
                .Publish(c => new OutboxRunStepRequested { RunId = c.Saga.CorrelationId, Sequence = 1, After = "submitted" }));

        During(Running,
            When(StepCompleted)
                .Then(c => c.Saga.Steps.Add(c.Message.Step))
                .Publish(c => new OutboxRunStepRequested { RunId = c.Saga.CorrelationId, Sequence = c.Saga.Steps.Count + 1, After = c.Message.Step }));
    }

    /// <summary>Steps are being recorded.</summary>
    public State Running { get; private set; } = null!;

    /// <summary>Initial event.</summary>
    public Event<OutboxRunSubmitted> Submitted { get; private set; } = null!;

    /// <summary>A step completed.</summary>
    public Event<OutboxRunStepCompleted> StepCompleted { get; private set; } = null!;
}
