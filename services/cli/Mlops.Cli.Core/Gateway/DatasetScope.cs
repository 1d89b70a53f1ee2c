namespace Mlops.Cli.Core.Gateway;

/// <summary>
/// Which ingested observations a new dataset version takes: some source systems, an event-time range [since, until),
/// some observation codes; each null takes all.
/// </summary>
public sealed record DatasetScope(IReadOnlyList<string>? Sources = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null, IReadOnlyList<string>? Codes = null)
{
    /// <summary>The whole raw store.</summary>
    public static DatasetScope All { get; } = new();
}
