namespace Mlops.Contracts.Registry;

/// <summary>One version serving one share of a model's traffic.</summary>
public sealed record TrafficRoute
{
    /// <summary>The alias the route follows (e.g. <c>champion</c>, <c>challenger</c>).</summary>
    public required string Alias { get; init; }

    /// <summary>Semantic version serving it.</summary>
    public required string Version { get; init; }

    /// <summary>SHA-256 of the artifact to load (served by the registry, verified before load).</summary>
    public required string ArtifactSha256 { get; init; }

    /// <summary>Share of traffic in percent; the routes of one model add up to 100 (a shadow route serves 0).</summary>
    public required int TrafficPercent { get; init; }

    /// <summary>
    /// Share of the model's requests copied to this version as shadow traffic (0–100); its answers are compared, never
    /// returned. Only the <c>shadow</c> alias mirrors.
    /// </summary>
    public int MirrorPercent { get; init; }
}
