using Microsoft.Extensions.Options;
using Npgsql;

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
    readonly RegisteredSchemaStore? _store;
    readonly TimeProvider _clock;
    readonly TimeSpan _refreshInterval;
    readonly ILogger? _logger;
    readonly SemaphoreSlim _refreshLock = new(1, 1);
    volatile Snapshot _snapshot;

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

        _store = store;
        _clock = clock;
        _refreshInterval = options.Value.SchemaRefreshInterval;
        _logger = logger;
        _snapshot = new Snapshot(_configured, new Dictionary<string, RegisteredSchema>(StringComparer.Ordinal), -1, DateTimeOffset.MinValue);
    }

    /// <summary>All schemas, by code.</summary>
    public IReadOnlyDictionary<string, ObservationSchema> All => _snapshot.All;

    /// <summary>Looks a code up.</summary>
    public bool TryGet(string code, out ObservationSchema schema) => _snapshot.All.TryGetValue(code, out schema!);

    /// <summary>The registered version in use for a code, or null when the code comes from configuration (or is unknown).</summary>
    public RegisteredSchema? RegisteredVersion(string code) => _snapshot.Registered.GetValueOrDefault(code);

    /// <summary>
    /// Picks up schemas registered on any replica, at most once per refresh interval. A database that does not answer
    /// leaves the current schemas in use (the raw store reports the outage itself).
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_store is null || _clock.GetUtcNow() - _snapshot.CheckedAt < _refreshInterval)
        {
            return;
        }

        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var snapshot = _snapshot;
            var now = _clock.GetUtcNow();
            if (now - snapshot.CheckedAt < _refreshInterval)
            {
                return;
            }

            var stamp = await _store.StampAsync(cancellationToken);
            _snapshot = stamp == snapshot.Stamp
                ? snapshot with { CheckedAt = now }
                : Build((await _store.LoadCurrentAsync(cancellationToken)).ToDictionary(r => r.Code, StringComparer.Ordinal), stamp, now);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            _logger?.LogWarning(ex, "Could not refresh the registered observation schemas; keeping the current ones");
            _snapshot = _snapshot with { CheckedAt = _clock.GetUtcNow() };
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>Uses a schema just registered on this replica at once (never replacing a newer version already seen).</summary>
    public async Task ApplyAsync(RegisteredSchema registered, CancellationToken cancellationToken)
    {
        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var snapshot = _snapshot;
            if (snapshot.Registered.TryGetValue(registered.Code, out var seen) && seen.Version >= registered.Version)
            {
                return;
            }

            var current = new Dictionary<string, RegisteredSchema>(snapshot.Registered, StringComparer.Ordinal) { [registered.Code] = registered };
            // The stamp is kept, so the next refresh still reloads and picks up anything registered meanwhile.
            _snapshot = Build(current, snapshot.Stamp, snapshot.CheckedAt);
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    Snapshot Build(Dictionary<string, RegisteredSchema> registered, long stamp, DateTimeOffset checkedAt)
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

        return new Snapshot(all, usable, stamp, checkedAt);
    }

    sealed record Snapshot(IReadOnlyDictionary<string, ObservationSchema> All, IReadOnlyDictionary<string, RegisteredSchema> Registered, long Stamp, DateTimeOffset CheckedAt);
}
