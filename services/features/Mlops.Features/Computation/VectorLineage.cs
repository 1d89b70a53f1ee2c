namespace Mlops.Features.Computation;

/// <summary>
/// What a vector was computed from: the observations in its set's horizon window and the latest time any of them
/// became known (available time, else recorded time). A point-in-time computation at the vector's event time "as known
/// at" <see cref="KnownAt"/> selects these observations again (and any value the source back-dated to before it),
/// so a prediction made on the vector can be replayed from the raw observations.
/// </summary>
public sealed record VectorLineage(DateTimeOffset? KnownAt, IReadOnlyList<string>? ObservationIds)
{
    /// <summary>
    /// Most ids a vector carries: beyond it (a dense monitor feeding a long horizon) the ids are left out, so a vector
    /// stays far below the broker's message size; <see cref="KnownAt"/>, all a replay needs, is always given.
    /// </summary>
    public const int MaxObservationIds = 2_000;

    /// <summary>The lineage of a vector at <paramref name="asOf"/> computed from <paramref name="observations"/>.</summary>
    public static VectorLineage Of(Definitions.FeatureDefinitions set, IEnumerable<ObservationPoint> observations, DateTimeOffset asOf)
    {
        DateTimeOffset? knownAt = null;
        var ids = new List<string>();
        foreach (var point in FeatureCalculator.Inputs(set, observations, asOf))
        {
            ids.Add(point.ObservationId);
            if (knownAt is null || point.KnownAt > knownAt)
            {
                knownAt = point.KnownAt;
            }
        }

        ids.Sort(StringComparer.Ordinal);
        return new VectorLineage(knownAt, ids.Count <= MaxObservationIds ? ids : null);
    }
}
