namespace Mlops.Inference.Streaming;

/// <summary>
/// Which feature vectors a model is scored on. The features service names a set version
/// <c>{name}-{first 12 hex of its definitions' SHA-256}</c> and publishes one vector per set and entity; a model is fed
/// only vectors of the version its registration records (<c>FeatureSetVersion</c>).
/// </summary>
public static class FeatureSets
{
    /// <summary>
    /// The name of the features service's shipped set. A model without a recorded feature-set version (a local
    /// artifact configured without one, or the rule-based fallback) was built for the shipped set, so it takes the
    /// newest vector of any version under this name rather than a version pinned by hash.
    /// </summary>
    public const string ShippedName = "vitals";

    const int HashLength = 12;

    /// <summary>The set name of <paramref name="version"/> (the version itself when it has no content-hash suffix).</summary>
    public static string NameOf(string version)
    {
        var dash = version.LastIndexOf('-');
        return dash > 0 && version.Length - dash - 1 == HashLength && !version.AsSpan(dash + 1).ContainsAnyExcept("0123456789abcdef")
            ? version[..dash]
            : version;
    }

    /// <summary>Whether a vector of <paramref name="vectorVersion"/> feeds a model recorded with <paramref name="modelVersion"/>.</summary>
    public static bool Feeds(string? modelVersion, string vectorVersion) =>
        modelVersion is null ? IsShipped(vectorVersion) : string.Equals(modelVersion, vectorVersion, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="version"/> is a version of the shipped set.</summary>
    public static bool IsShipped(string version) => string.Equals(NameOf(version), ShippedName, StringComparison.Ordinal);
}
