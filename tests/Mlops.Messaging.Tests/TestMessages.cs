namespace Mlops.Messaging.Tests;

/// <summary>A command with a reply, for the request/response round trip.</summary>
public sealed record ScoreVitals
{
    /// <summary>Entity id.</summary>
    public required string PatientId { get; init; }

    /// <summary>Heart rate, beats per minute.</summary>
    public required int HeartRate { get; init; }

    /// <summary>Systolic blood pressure, mmHg.</summary>
    public required int SystolicBloodPressure { get; init; }
}

/// <summary>The reply to <see cref="ScoreVitals"/>.</summary>
public sealed record VitalsScored
{
    /// <summary>Entity id.</summary>
    public required string PatientId { get; init; }

    /// <summary>Heart rate over systolic pressure.</summary>
    public required double ShockIndex { get; init; }

    /// <summary>Host that answered, to show the reply crossed the broker.</summary>
    public required string AnsweredBy { get; init; }

    /// <summary>Trace id the consumer ran under, to show trace context crossed the broker.</summary>
    public string? TraceId { get; init; }
}

/// <summary>Starts a pipeline run (the saga's initial event).</summary>
public sealed record PipelineRunSubmitted
{
    /// <summary>Saga correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Who asked.</summary>
    public required string RequestedBy { get; init; }
}

/// <summary>One step of the run finished.</summary>
public sealed record PipelineStepCompleted
{
    /// <summary>Saga correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Step name.</summary>
    public required string Step { get; init; }
}

/// <summary>The run finished.</summary>
public sealed record PipelineRunFinished
{
    /// <summary>Saga correlation id.</summary>
    public required Guid RunId { get; init; }
}
