namespace Mlops.Ingestion.Datasets;

/// <summary>An immutable snapshot of the raw store, named by the SHA-256 of its content.</summary>
public sealed record DatasetVersion(
    string Version, long RowCount, long MaxSequence, IReadOnlyList<string>? Codes, DateTimeOffset CreatedAt, string? CreatedBy, string? Description);

/// <summary>One row of a dataset version; <paramref name="AvailableTime"/> only when the sender gave one.</summary>
public sealed record DatasetRow(
    long Sequence, string ObservationId, string EntityId, string EntityType, string Code, double Value, string? Category, string Unit,
    DateTimeOffset EventTime, DateTimeOffset RecordedAt, string SourceSystem, DateTimeOffset? AvailableTime = null);
