namespace Mlops.Inference.Scoring;

/// <summary>The features given cannot be scored: some are missing, some are not finite numbers.</summary>
public sealed class FeatureValidationException(IReadOnlyList<string> missing, IReadOnlyList<string> nonFinite)
    : Exception(Describe(missing, nonFinite))
{
    public IReadOnlyList<string> Missing { get; } = missing;

    public IReadOnlyList<string> NonFinite { get; } = nonFinite;

    static string Describe(IReadOnlyList<string> missing, IReadOnlyList<string> nonFinite) =>
        string.Join("; ", new[]
        {
            missing.Count > 0 ? "missing: " + string.Join(", ", missing) : null,
            nonFinite.Count > 0 ? "not finite: " + string.Join(", ", nonFinite) : null,
        }.Where(s => s is not null));
}
