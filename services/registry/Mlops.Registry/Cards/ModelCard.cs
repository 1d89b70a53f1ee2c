using Mlops.Contracts.Registry;

namespace Mlops.Registry.Cards;

/// <summary>A model card generated from the registry's events (nothing in it is typed by hand after registration).</summary>
public sealed record ModelCard
{
    public required string Model { get; init; }
    public required string Version { get; init; }
    public required string Stage { get; init; }
    public required IReadOnlyList<string> Aliases { get; init; }
    public required DateTimeOffset RegisteredAt { get; init; }
    public required string RegisteredBy { get; init; }
    public string? Description { get; init; }
    public string? IntendedUse { get; init; }
    public string? Limitations { get; init; }
    public required ModelCardData Data { get; init; }
    public required ModelMetrics Metrics { get; init; }
    public required ModelCardLineage Lineage { get; init; }
    public required IReadOnlyList<TimelineEntry> History { get; init; }
}

public sealed record ModelCardData
{
    public required string DatasetVersion { get; init; }
    public required string FeatureSetVersion { get; init; }
    public required IReadOnlyList<FeatureSpec> Inputs { get; init; }
    public required IReadOnlyList<FeatureSpec> Outputs { get; init; }
}

public sealed record ModelCardLineage
{
    public required string TrainingRunId { get; init; }
    public required string CodeVersion { get; init; }
    public required string DatasetVersion { get; init; }
    public required string FeatureSetVersion { get; init; }
    public required string ArtifactSha256 { get; init; }
}

/// <summary>One entry of a model's or version's audit timeline.</summary>
public sealed record TimelineEntry
{
    public required long Revision { get; init; }
    public required long Position { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Type { get; init; }
    public string? Actor { get; init; }
    public string? Reason { get; init; }
    public required object Data { get; init; }
}
