namespace Mlops.Cli.Core.Gateway;

/// <summary>What ingestion did with a batch (or a whole file): counts, and the reasons of every refusal.</summary>
public sealed class BatchOutcome
{
    /// <summary>Stored and published.</summary>
    public int Accepted { get; set; }

    /// <summary>Already known (same observation id); not stored again.</summary>
    public int Duplicates { get; set; }

    /// <summary>Refused, each with its reasons.</summary>
    public List<Refusal> Refused { get; } = [];

    /// <summary>Adds another batch's outcome.</summary>
    public void Add(BatchOutcome other)
    {
        Accepted += other.Accepted;
        Duplicates += other.Duplicates;
        Refused.AddRange(other.Refused);
    }
}

/// <summary>One refused item: where it came from (a line or index) and why.</summary>
public sealed record Refusal(string Where, string? Id, string Reason);
