using System.Text.RegularExpressions;

namespace Mlops.Registry;

/// <summary>Where the registry keeps its events, documents and artifacts, and whether this process publishes (section <c>EventStore</c>).</summary>
public sealed partial class RegistryStoreOptions
{
    public const string SectionName = "EventStore";

    /// <summary>PostgreSQL schema of Marten's tables and the artifacts (lower-case letters, digits, underscores).</summary>
    public string Schema { get; set; } = "registry";

    /// <summary>
    /// Whether this process runs Marten's async daemon, which publishes committed events to the bus (and Kafka).
    /// Off only in a host that must never publish; with several replicas, one daemon is active (hot/cold).
    /// </summary>
    public bool Publish { get; set; } = true;

    /// <summary>The schema name, validated: it is an identifier and cannot be passed as a SQL parameter.</summary>
    public string ValidatedSchema() =>
        SchemaPattern().IsMatch(Schema) ? Schema : throw new InvalidOperationException($"{SectionName}:Schema '{Schema}' must match {SchemaPattern()}.");

    /// <summary>
    /// The advisory lock id of the hot/cold daemon, derived from the schema: registries in different schemas of one
    /// database (tests, side-by-side deployments) each elect their own publisher. The same in every process.
    /// </summary>
    public int DaemonLockId()
    {
        const uint offset = 2166136261, prime = 16777619;
        var hash = offset;
        foreach (var c in "mlops-registry-daemon:" + ValidatedSchema())
        {
            hash = (hash ^ c) * prime;
        }

        return unchecked((int)hash);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaPattern();
}
