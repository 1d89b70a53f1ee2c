using MassTransit;

namespace Mlops.Messaging.CrashingSaga;

/// <summary>State of an outbox test run.</summary>
public sealed class OutboxRunState : SagaStateMachineInstance, ISagaVersion
{
    /// <inheritdoc />
    public Guid CorrelationId { get; set; }

    /// <summary>Name of the current state.</summary>
    public string CurrentState { get; set; } = "";

    /// <inheritdoc />
    public int Version { get; set; }

    /// <summary>Who started the run.</summary>
    public string RequestedBy { get; set; } = "";

    /// <summary>Recorded steps, in the order they were applied.</summary>
    public List<string> Steps { get; set; } = [];
}
