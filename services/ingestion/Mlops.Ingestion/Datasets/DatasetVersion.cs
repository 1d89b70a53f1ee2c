namespace Mlops.Ingestion.Datasets;

/// <summary>
/// An immutable snapshot of the raw store, named by the SHA-256 of its scope and content. Its scope — codes, source
/// systems, event times at or after <c>Since</c> and before <c>Until</c> — each null when not restricted.
/// </summary>
public sealed record DatasetVersion(
    string Version, long RowCount, long MaxSequence, IReadOnlyList<string>? Codes, DateTimeOffset CreatedAt, string? CreatedBy, string? Description,
    IReadOnlyList<string>? Sources = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null);

/// <summary>
/// Which observations a new version takes: some codes, some source systems, an event-time range [since, until).
/// Each null (or empty) takes all; lists are kept sorted and distinct so the same scope always names the same version.
/// </summary>
public sealed record DatasetScope(IReadOnlyList<string>? Codes = null, IReadOnlyList<string>? Sources = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null)
{
    /// <summary>
    /// The scope with its lists sorted, distinct, and null when empty, and its instants in UTC at PostgreSQL's precision
    /// (microseconds): the range hashed into the name is the range stored and applied.
    /// </summary>
    public DatasetScope Normalized() => this with { Codes = Canonical(Codes), Sources = Canonical(Sources), Since = Microseconds(Since), Until = Microseconds(Until) };

    static DateTimeOffset? Microseconds(DateTimeOffset? value) =>
        value is { } v ? new DateTimeOffset(v.UtcTicks - v.UtcTicks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero) : null;

    /// <summary>Whether anything beyond codes restricts it (versions without that keep the names they always had).</summary>
    public bool HasRowScope => Sources is { Count: > 0 } || Since is not null || Until is not null;

    static string[]? Canonical(IReadOnlyList<string>? values) =>
        values is { Count: > 0 } ? values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray() : null;
}

/// <summary>One row of a dataset version; <paramref name="AvailableTime"/> only when the sender gave one.</summary>
public sealed record DatasetRow(
    long Sequence, string ObservationId, string EntityId, string EntityType, string Code, double Value, string? Category, string Unit,
    DateTimeOffset EventTime, DateTimeOffset RecordedAt, string SourceSystem, DateTimeOffset? AvailableTime = null);
