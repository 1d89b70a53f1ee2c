namespace Mlops.Contracts.Registry;

/// <summary>Command: resume a paused rollout as if its step had passed (a person looked at the inconclusive analysis).</summary>
public sealed record ApproveRollout
{
    public required Guid RolloutId { get; init; }

    public required string ApprovedBy { get; init; }

    public required string Reason { get; init; }
}

/// <summary>Command: stop a rollout and take the candidate's traffic away.</summary>
public sealed record AbortRollout
{
    public required Guid RolloutId { get; init; }

    public required string RequestedBy { get; init; }

    public required string Reason { get; init; }
}

/// <summary>Command: skip the remaining steps and promote the candidate to champion now.</summary>
public sealed record PromoteRollout
{
    public required Guid RolloutId { get; init; }

    public required string RequestedBy { get; init; }

    public required string Reason { get; init; }
}
