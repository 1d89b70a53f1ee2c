using System.ComponentModel.DataAnnotations;

namespace Mlops.Ingestion.Storage;

/// <summary>How single observations sent concurrently share a transaction (<c>Ingestion:GroupCommit</c>).</summary>
public sealed class GroupCommitOptions
{
    public const string Section = "Ingestion:GroupCommit";

    /// <summary>
    /// Off: every single observation is its own transaction, as before group commit (concurrent requests then commit
    /// side by side on their own connections).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Most observations one commit takes; the rest wait for the next. Commits follow one another, so a group of one
    /// would queue every request behind the previous one's commit: at least 2.
    /// </summary>
    [Range(2, 10_000)]
    public int MaxGroupSize { get; set; } = 500;

    /// <summary>Observations waiting for a commit before a new request waits for room (back-pressure on the senders).</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 10_000;
}
