using System.Text.RegularExpressions;

namespace Mlops.EventStore;

/// <summary>Where the event store keeps its tables and how its background parts poll.</summary>
public sealed partial class EventStoreOptions
{
    /// <summary>Configuration section the options bind from.</summary>
    public const string SectionName = "EventStore";

    /// <summary>PostgreSQL schema holding the store's tables (lower-case letters, digits, underscores).</summary>
    public string Schema { get; set; } = "event_store";

    /// <summary>Whether this process runs the outbox dispatcher (off in hosts that must never publish).</summary>
    public bool DispatchOutbox { get; set; } = true;

    /// <summary>How long the dispatcher and subscriptions wait before polling again when there was nothing to do.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Events read per batch by subscriptions and the dispatcher.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>The schema name, validated: it is an identifier and cannot be passed as a SQL parameter.</summary>
    public string ValidatedSchema() =>
        SchemaPattern().IsMatch(Schema) ? Schema : throw new InvalidOperationException($"EventStore:Schema '{Schema}' must match {SchemaPattern()}.");

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaPattern();
}
