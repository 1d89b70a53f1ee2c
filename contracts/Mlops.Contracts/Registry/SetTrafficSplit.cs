namespace Mlops.Contracts.Registry;

/// <summary>
/// Command: serve the challenger with <see cref="ChallengerPercent"/> of the model's traffic (the champion serves the
/// rest) and mirror <see cref="ShadowPercent"/> to the shadow alias. Sent by the rollout saga at each step and by
/// operators; the registry records it and publishes <c>DeploymentChanged</c>.
/// </summary>
public sealed record SetTrafficSplit
{
    public required string ModelName { get; init; }

    /// <summary>0–100; ignored (treated as 0) while no challenger is assigned.</summary>
    public required int ChallengerPercent { get; init; }

    /// <summary>0–100; ignored while no shadow is assigned.</summary>
    public int ShadowPercent { get; init; }

    /// <summary>
    /// Keep the model's current shadow share and ignore <see cref="ShadowPercent"/>: the rollout saga moves only the
    /// challenger's share, so an operator's mirror survives the steps (and a step delivered after the operator set it).
    /// </summary>
    public bool KeepShadow { get; init; }

    /// <summary>
    /// Stop mirroring when the shadow alias still holds this version (its share becomes 0); a shadow holding another
    /// version keeps its share. The rollout saga's last split names its candidate, which it mirrored for the divergence
    /// analysis: an operator's shadow set meanwhile survives however late that split is delivered.
    /// </summary>
    public string? StopMirroringVersion { get; init; }

    public required string RequestedBy { get; init; }

    public required string Reason { get; init; }

    /// <summary>Correlates the registry's answer with the sender (e.g. the rollout saga's id).</summary>
    public Guid? CorrelationId { get; init; }
}
