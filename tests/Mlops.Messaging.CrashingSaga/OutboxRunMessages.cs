namespace Mlops.Messaging.CrashingSaga;

/// <summary>Starts an outbox test run (the saga's initial event).</summary>
public sealed record OutboxRunSubmitted
{
    /// <summary>Saga correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Who asked; <c>fault-once</c> makes the test database fail the first commit.</summary>
    public required string RequestedBy { get; init; }
}

/// <summary>A step of the run finished; the saga records it and asks for the next one.</summary>
public sealed record OutboxRunStepCompleted
{
    /// <summary>Saga correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Step name.</summary>
    public required string Step { get; init; }
}

/// <summary>What the saga publishes through the outbox: the numbered request for the next step.</summary>
public sealed record OutboxRunStepRequested
{
    /// <summary>Saga correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>1 for the first request of a run, then one more per recorded step.</summary>
    public required int Sequence { get; init; }

    /// <summary>The step that led to this request.</summary>
    public required string After { get; init; }
}
