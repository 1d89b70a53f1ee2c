using Microsoft.Extensions.Options;
using Mlops.ServiceDefaults.Registrations;

namespace Mlops.Ingestion.Schemas;

/// <summary>Options holding the schemas by code, bound from <c>Ingestion:Schemas</c>.</summary>
public sealed class IngestionOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Ingestion";

    /// <summary>Schemas by observation code.</summary>
    public Dictionary<string, ObservationSchema> Schemas { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How far in the future an event time may lie (clock skew between senders and us).</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest batch accepted in one HTTP request.</summary>
    public int MaxBatchSize { get; set; } = 10_000;

    /// <summary>Upstream topic read by the Kafka intake.</summary>
    public string RawTopic { get; set; } = Contracts.Kafka.Topics.ObservationsRaw;

    /// <summary>Topic accepted observations are published to.</summary>
    public string AcceptedTopic { get; set; } = Contracts.Kafka.Topics.Observations;

    /// <summary>
    /// How long a replica trusts its copy of the schemas registered at run time before asking the database whether
    /// any changed (one cheap query; a registration on this replica is visible here at once).
    /// </summary>
    public TimeSpan SchemaRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Topic refused Kafka records are written to, with their reasons.</summary>
    public string RejectedTopic { get; set; } = Contracts.Kafka.Topics.ObservationsRejected;
}

/// <summary>
/// The observation codes ingestion knows: the configured ones (checked at start-up; a bad one stops the service)
/// and those registered at run time (stored in the database, shared by every replica, overriding a configured code
/// of the same name). Reads are lock-free on an immutable snapshot that <see cref="RefreshAsync"/> replaces.
/// </summary>
public sealed class SchemaCatalog
{
    readonly Dictionary<string, ObservationSchema> _configured;
    readonly ILogger? _logger;
    readonly RegistrationCache<RegisteredSchema, Snapshot> _registered;

    /// <summary>A catalogue of the configured schemas only.</summary>
    public SchemaCatalog(IOptions<IngestionOptions> options)
        : this(options, null, TimeProvider.System, null)
    {
    }

    /// <summary>Builds the catalogue; throws naming the code when a configured schema is inconsistent.</summary>
    public SchemaCatalog(IOptions<IngestionOptions> options, RegisteredSchemaStore? store, TimeProvider clock, ILogger<SchemaCatalog>? logger)
    {
        _configured = new Dictionary<string, ObservationSchema>(StringComparer.Ordinal);
        foreach (var (code, schema) in options.Value.Schemas)
        {
            schema.Code = code;
            if (SchemaRules.Check(schema) is [var (_, problem), ..])
            {
                throw new InvalidOperationException($"Observation schema '{schema.Code}': {problem}.");
            }

            _configured[code] = schema;
        }

        _logger = logger;
        _registered = new(store, Build, s => s.Code, s => s.Version, options.Value.SchemaRefreshInterval, clock, logger, "observation schemas");
    }

    /// <summary>All schemas, by code.</summary>
    public IReadOnlyDictionary<string, ObservationSchema> All => _registered.View.All;

    /// <summary>Looks a code up.</summary>
    public bool TryGet(string code, out ObservationSchema schema) => All.TryGetValue(code, out schema!);

    /// <summary>The registered version in use for a code, or null when the code comes from configuration (or is unknown).</summary>
    public RegisteredSchema? RegisteredVersion(string code) => _registered.View.Registered.GetValueOrDefault(code);

    /// <summary>
    /// Picks up schemas registered on any replica, at most once per refresh interval. A database that does not answer
    /// leaves the current schemas in use (the raw store reports the outage itself).
    /// </summary>
    public Task RefreshAsync(CancellationToken cancellationToken) => _registered.RefreshAsync(cancellationToken);

    /// <summary>Uses a schema just registered on this replica at once (never replacing a newer version already seen).</summary>
    public Task ApplyAsync(RegisteredSchema registered, CancellationToken cancellationToken) => _registered.ApplyAsync(registered, cancellationToken);

    Snapshot Build(Dictionary<string, RegisteredSchema> registered)
    {
        var all = new Dictionary<string, ObservationSchema>(_configured, StringComparer.Ordinal);
        var usable = new Dictionary<string, RegisteredSchema>(StringComparer.Ordinal);
        foreach (var (code, schema) in registered)
        {
            // Checked when registered; re-checked so a rule tightened later cannot put a broken schema in use.
            if (SchemaRules.Check(schema.Schema) is [var (_, problem), ..])
            {
                _logger?.LogWarning("Registered observation schema {Code} v{Version} is not used: {Problem}", code, schema.Version, problem);
                continue;
            }

            all[code] = schema.Schema;
            usable[code] = schema;
        }

        return new Snapshot(all, usable);
    }

    sealed record Snapshot(IReadOnlyDictionary<string, ObservationSchema> All, IReadOnlyDictionary<string, RegisteredSchema> Registered)
        : IRegistrationView<RegisteredSchema>;
}
