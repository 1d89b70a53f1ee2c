using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Mlops.Features.Definitions;

/// <summary>Aggregations of one observation code over event-time windows.</summary>
public sealed class AggregationDefinition
{
    /// <summary>Observation code (from ingestion's schemas).</summary>
    public string Code { get; set; } = "";

    /// <summary>Functions: last, mean, min, max, std, count, slope, time_since_last.</summary>
    public List<string> Functions { get; set; } = [];

    /// <summary>Windows ending at the evaluation time, e.g. 01:00:00, 06:00:00, 1.00:00:00.</summary>
    public List<TimeSpan> Windows { get; set; } = [];
}

/// <summary>A feature computed from two others: <c>Numerator / Denominator</c>.</summary>
public sealed class RatioDefinition
{
    /// <summary>Feature name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Numerator feature.</summary>
    public string Numerator { get; set; } = "";

    /// <summary>Denominator feature.</summary>
    public string Denominator { get; set; } = "";
}

/// <summary>The feature definition set, bound from the <c>Features</c> configuration section.</summary>
public sealed class FeatureDefinitions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Features";

    /// <summary>Entity type the features describe.</summary>
    public string EntityType { get; set; } = "patient";

    /// <summary>Human name of the set; the version adds a content hash, so any change makes a new version.</summary>
    public string Name { get; set; } = "vitals";

    /// <summary>Windowed aggregations per code.</summary>
    public List<AggregationDefinition> Aggregations { get; set; } = [];

    /// <summary>Ratios of other features (e.g. shock index).</summary>
    public List<RatioDefinition> Ratios { get; set; } = [];

    /// <summary>Whether to compute the NEWS2 early-warning score from the latest vitals (feature <c>news2</c>).</summary>
    public bool EarlyWarningScore { get; set; } = true;

    /// <summary>How far back vitals count as "latest" for the early-warning score and ratios.</summary>
    public TimeSpan LatestVitalsWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The longest window: how much history each entity keeps in play.</summary>
    public TimeSpan Horizon => Aggregations.SelectMany(a => a.Windows).Append(LatestVitalsWindow).Max();

    /// <summary><c>{Name}-{first 12 hex of the SHA-256 of the definitions}</c>.</summary>
    /// <remarks>
    /// Computed once per name: every online read and every computed vector asks for it, and the canonical JSON and its
    /// hash cost more than the rest of a cached read. Definitions are filled (by binding, deserialization or an
    /// initializer) before anything asks; only the name is set later, by the registration API, so it is checked.
    /// </remarks>
    public string Version
    {
        get
        {
            if (_version is { } known && ReferenceEquals(known.Name, Name))
            {
                return known.Version;
            }

            _contentHash ??= Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
                JsonSerializer.Serialize(new { EntityType, Aggregations, Ratios, EarlyWarningScore, LatestVitalsWindow }))))[..12];
            var version = $"{Name}-{_contentHash}";
            _version = new NamedVersion(Name, version);
            return version;
        }
    }

    sealed record NamedVersion(string Name, string Version);

    string? _contentHash;
    NamedVersion? _version;

    /// <summary>Every feature name the set produces, in a stable order.</summary>
    public IReadOnlyList<string> FeatureNames =>
    [
        .. Aggregations.SelectMany(a => a.Windows.SelectMany(w => a.Functions.Select(f => FeatureName(a.Code, f, w)))),
        .. Ratios.Select(r => r.Name),
        .. EarlyWarningScore ? new[] { "news2" } : [],
    ];

    /// <summary>Name of one aggregation, e.g. <c>heart_rate_mean_6h</c>.</summary>
    /// <remarks>
    /// Built once per (code, function, window): the calculator asks for every feature of every vector it computes, and
    /// formatting the names each time was a measurable share of the streaming work (perf, 2026-12-05).
    /// </remarks>
    public static string FeatureName(string code, string function, TimeSpan window) =>
        Names.GetOrAdd((code, function, window), static key => $"{key.Code}_{key.Function}_{WindowLabel(key.Window)}");

    static readonly ConcurrentDictionary<(string Code, string Function, TimeSpan Window), string> Names = new();

    static string WindowLabel(TimeSpan window) =>
        window.TotalHours >= 1 && window.TotalHours == Math.Floor(window.TotalHours) ? $"{window.TotalHours:0}h" : $"{window.TotalMinutes:0}m";
}
