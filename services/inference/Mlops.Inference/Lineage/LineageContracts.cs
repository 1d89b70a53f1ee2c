using Mlops.Contracts.Inference;

namespace Mlops.Inference.Lineage;

/// <summary>
/// <c>GET /api/lineage/predictions/{predictionId}</c>: the logged prediction, the observations known at its moment,
/// the vector recomputed from them, the model version it came from, the probability re-scored now with that exact
/// artifact, and per-feature contributions.
/// </summary>
public sealed record PredictionReplay
{
    public required PredictionLogged Original { get; init; }

    public required ReplayedModel Model { get; init; }

    /// <summary>Raw observations known at the prediction's "known at" time, in its vector's horizon window (empty for inline features).</summary>
    public required IReadOnlyList<ReplayedObservation> Observations { get; init; }

    /// <summary>The vector recomputed from <see cref="Observations"/>; null when the prediction had no vector (inline features).</summary>
    public RecomputedVector? Recomputed { get; init; }

    public required ReplayedScore Replayed { get; init; }

    public Contributions? Contributions { get; init; }

    /// <summary>What could not be replayed exactly, and why (empty when everything matched).</summary>
    public required IReadOnlyList<string> Notes { get; init; }
}

/// <summary>The model version: its artifact and where it came from (the registry's record; null fields when it has none).</summary>
public sealed record ReplayedModel(
    string Name, string Version, string? ArtifactSha256, bool ArtifactVerified, string? TrainingRunId, string? DatasetVersion, string? FeatureSetVersion,
    string? CodeVersion, bool Registered);

/// <summary>The vector as the feature calculator computes it again, point in time.</summary>
public sealed record RecomputedVector(
    string FeatureSetVersion, DateTimeOffset AsOf, DateTimeOffset KnownAt, IReadOnlyList<LoggedFeature> Features, bool MatchesLogged,
    IReadOnlyList<string> Differing, bool SameObservations, IReadOnlyList<string> MissingObservations, IReadOnlyList<string> ExtraObservations);

/// <summary>The prediction scored again now, from <see cref="ScoredFrom"/> (<c>recomputed</c> vector or the <c>logged</c> input).</summary>
public sealed record ReplayedScore(double Probability, double Uncertainty, double AbsoluteDifference, bool MatchesOriginal, string ScoredFrom);

/// <summary>Per-feature contributions in log-odds and how they were computed (<c>occlusion</c> or <c>tree-path</c>).</summary>
public sealed record Contributions(string Method, double BaselineLogOdds, IReadOnlyDictionary<string, double> ByFeature);

/// <summary><c>GET /api/lineage/observations/{observationId}/predictions</c>: every logged prediction whose vector the observation was behind.</summary>
public sealed record InfluencedPredictions(string ObservationId, IReadOnlyList<PredictionLogged> Predictions, bool Truncated);
