namespace Mlops.Contracts.Training;

/// <summary>Command: stop a training run; it ends <c>Cancelled</c> and registers nothing.</summary>
public sealed record CancelTrainingRun
{
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Who cancels it.</summary>
    public required string RequestedBy { get; init; }
}
