using MassTransit;

namespace Mlops.Messaging.Tests.Sagas;

/// <summary>Submitted → Running (collects steps) → Finished.</summary>
public sealed class PipelineRunStateMachine : MassTransitStateMachine<PipelineRunState>
{
    /// <summary>Defines states, events and transitions.</summary>
    public PipelineRunStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => Submitted, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => StepCompleted, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => Finished, e => e.CorrelateById(m => m.Message.RunId));

        Initially(
            When(Submitted)
                .Then(c => c.Saga.RequestedBy = c.Message.RequestedBy)
                .TransitionTo(Running));

        During(Running,
            When(StepCompleted)
                .Then(c => c.Saga.Steps.Add(c.Message.Step)),
            When(Finished)
                .TransitionTo(Completed));
    }

    /// <summary>Steps are being executed.</summary>
    public State Running { get; private set; } = null!;

    /// <summary>The run is done.</summary>
    public State Completed { get; private set; } = null!;

    /// <summary>Initial event.</summary>
    public Event<PipelineRunSubmitted> Submitted { get; private set; } = null!;

    /// <summary>A step completed.</summary>
    public Event<PipelineStepCompleted> StepCompleted { get; private set; } = null!;

    /// <summary>The run finished.</summary>
    public Event<PipelineRunFinished> Finished { get; private set; } = null!;
}
