using Microsoft.Extensions.Options;
using Npgsql;

namespace Mlops.Features.Definitions;

/// <summary>
/// The definition sets the service computes: the shipped one (configuration, checked at start-up) and those
/// registered at run time (stored in the database, shared by every replica). Reads are lock-free on an immutable
/// snapshot that <see cref="RefreshAsync"/> replaces, so the streaming path pays one cheap query per refresh interval.
/// </summary>
public sealed class FeatureSetCatalog
{
    readonly RegisteredFeatureSetStore _store;
    readonly TimeProvider _clock;
    readonly TimeSpan _refreshInterval;
    readonly ILogger<FeatureSetCatalog> _logger;
    readonly SemaphoreSlim _refreshLock = new(1, 1);
    volatile Snapshot _snapshot;

    /// <summary>Builds the catalogue around the configured set.</summary>
    public FeatureSetCatalog(
        IOptions<FeatureDefinitions> shipped, IOptions<DefinitionSetOptions> options, RegisteredFeatureSetStore store, TimeProvider clock, ILogger<FeatureSetCatalog> logger)
    {
        Shipped = shipped.Value;
        _store = store;
        _clock = clock;
        _refreshInterval = options.Value.RefreshInterval;
        _logger = logger;
        _snapshot = Build(new Dictionary<string, RegisteredFeatureSet>(StringComparer.Ordinal), -1, DateTimeOffset.MinValue);
    }

    /// <summary>The set from configuration: the default of every read, training set and backfill.</summary>
    public FeatureDefinitions Shipped { get; }

    /// <summary>
    /// Every set computed by streaming, the shipped one last: its vector is then published after the others of the
    /// same entity and event time, so a consumer that keeps only the newest vector per entity keeps the shipped set's.
    /// </summary>
    public IReadOnlyList<FeatureDefinitions> Active => _snapshot.Active;

    /// <summary>The registered sets in use, by name.</summary>
    public IReadOnlyDictionary<string, RegisteredFeatureSet> Registered => _snapshot.Registered;

    /// <summary>The set in use under <paramref name="name"/> (null = the shipped set), or null when there is none.</summary>
    public FeatureDefinitions? Find(string? name) =>
        name is null || name == Shipped.Name ? Shipped : _snapshot.Registered.GetValueOrDefault(name)?.Definitions;

    /// <summary>The definitions of an exact version: the shipped one, or any registered version (in use or not), or null.</summary>
    public async Task<FeatureDefinitions?> FindVersionAsync(string version, CancellationToken cancellationToken)
    {
        if (version == Shipped.Version)
        {
            return Shipped;
        }

        return _snapshot.Active.FirstOrDefault(s => s.Version == version)
            ?? (await _store.FindVersionAsync(version, cancellationToken))?.Definitions;
    }

    /// <summary>
    /// Picks up sets registered on any replica, at most once per refresh interval. A database that does not answer
    /// leaves the current sets in use (the streaming transaction reports the outage itself and is retried).
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_clock.GetUtcNow() - _snapshot.CheckedAt < _refreshInterval)
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
                : Build((await _store.LoadCurrentAsync(cancellationToken)).ToDictionary(r => r.Name, StringComparer.Ordinal), stamp, now);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            _logger.LogWarning(ex, "Could not refresh the registered feature definition sets; keeping the current ones");
            _snapshot = _snapshot with { CheckedAt = _clock.GetUtcNow() };
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>Uses a set just registered on this replica at once.</summary>
    public async Task ApplyAsync(RegisteredFeatureSet registered, CancellationToken cancellationToken)
    {
        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var snapshot = _snapshot;
            if (snapshot.Registered.TryGetValue(registered.Name, out var seen) && seen.Seq >= registered.Seq)
            {
                return;
            }

            var current = new Dictionary<string, RegisteredFeatureSet>(snapshot.Registered, StringComparer.Ordinal) { [registered.Name] = registered };
            // The stamp is kept, so the next refresh still reloads and settles any registration racing this one.
            _snapshot = Build(current, snapshot.Stamp, snapshot.CheckedAt);
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    Snapshot Build(Dictionary<string, RegisteredFeatureSet> registered, long stamp, DateTimeOffset checkedAt)
    {
        var usable = new Dictionary<string, RegisteredFeatureSet>(StringComparer.Ordinal);
        foreach (var (name, set) in registered)
        {
            // Checked when registered; re-checked so a rule tightened later cannot put a broken set in use. The
            // shipped name is refused at registration; a row of it (written before that rule) never shadows configuration.
            if (name == Shipped.Name || FeatureSetRules.Check(set.Definitions) is [var (field, problem), ..] && Log(set, field, problem))
            {
                continue;
            }

            usable[name] = set;
        }

        return new Snapshot([.. usable.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => s.Definitions), Shipped], usable, stamp, checkedAt);
    }

    bool Log(RegisteredFeatureSet set, string field, string problem)
    {
        _logger.LogWarning("Registered feature set {Version} is not used: {Field}: {Problem}", set.Version, field, problem);
        return true;
    }

    sealed record Snapshot(IReadOnlyList<FeatureDefinitions> Active, IReadOnlyDictionary<string, RegisteredFeatureSet> Registered, long Stamp, DateTimeOffset CheckedAt);
}
