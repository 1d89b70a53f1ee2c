using MassTransit;

namespace Mlops.Messaging.Tests.Sagas;

/// <summary>State of a (test) pipeline run, persisted by the PostgreSQL saga repository.</summary>
public sealed class PipelineRunState : SagaStateMachineInstance, ISagaVersion
{
    /// <inheritdoc />
    public Guid CorrelationId { get; set; }

    /// <summary>Name of the current state.</summary>
    public string CurrentState { get; set; } = "";

    /// <inheritdoc />
    public int Version { get; set; }

    /// <summary>Who started the run.</summary>
    public string RequestedBy { get; set; } = "";

    /// <summary>Completed steps, in order.</summary>
    public List<string> Steps { get; set; } = [];
}
