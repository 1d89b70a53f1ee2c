using Microsoft.Extensions.Options;
using Mlops.ServiceDefaults.Registrations;

namespace Mlops.Features.Definitions;

/// <summary>
/// The definition sets the service computes: the shipped one (configuration, checked at start-up) and those
/// registered at run time (stored in the database, shared by every replica). Reads are lock-free on an immutable
/// snapshot that <see cref="RefreshAsync"/> replaces, so the streaming path pays one cheap query per refresh interval.
/// </summary>
public sealed class FeatureSetCatalog
{
    readonly RegisteredFeatureSetStore _store;
    readonly ILogger<FeatureSetCatalog> _logger;
    readonly RegistrationCache<RegisteredFeatureSet, Snapshot> _registered;

    /// <summary>Builds the catalogue around the configured set.</summary>
    public FeatureSetCatalog(
        IOptions<FeatureDefinitions> shipped, IOptions<DefinitionSetOptions> options, RegisteredFeatureSetStore store, TimeProvider clock, ILogger<FeatureSetCatalog> logger)
    {
        Shipped = shipped.Value;
        _store = store;
        _logger = logger;
        _registered = new(store, Build, s => s.Name, s => s.Seq, options.Value.RefreshInterval, clock, logger, "feature definition sets");
    }

    /// <summary>The set from configuration: the default of every read, training set and backfill.</summary>
    public FeatureDefinitions Shipped { get; }

    /// <summary>
    /// Every set computed by streaming, the shipped one last: its vector is then published after the others of the
    /// same entity and event time, so a consumer that keeps only the newest vector per entity keeps the shipped set's.
    /// </summary>
    public IReadOnlyList<FeatureDefinitions> Active => _registered.View.Active;

    /// <summary>The registered sets in use, by name.</summary>
    public IReadOnlyDictionary<string, RegisteredFeatureSet> Registered => _registered.View.Registered;

    /// <summary>The set in use under <paramref name="name"/> (null = the shipped set), or null when there is none.</summary>
    public FeatureDefinitions? Find(string? name) =>
        name is null || name == Shipped.Name ? Shipped : Registered.GetValueOrDefault(name)?.Definitions;

    /// <summary>The definitions of an exact version: the shipped one, or any registered version (in use or not), or null.</summary>
    public async Task<FeatureDefinitions?> FindVersionAsync(string version, CancellationToken cancellationToken)
    {
        if (version == Shipped.Version)
        {
            return Shipped;
        }

        return Active.FirstOrDefault(s => s.Version == version)
            ?? (await _store.FindVersionAsync(version, cancellationToken))?.Definitions;
    }

    /// <summary>
    /// Picks up sets registered on any replica, at most once per refresh interval. A database that does not answer
    /// leaves the current sets in use (the streaming transaction reports the outage itself and is retried).
    /// </summary>
    public Task RefreshAsync(CancellationToken cancellationToken) => _registered.RefreshAsync(cancellationToken);

    /// <summary>Uses a set just registered on this replica at once.</summary>
    public Task ApplyAsync(RegisteredFeatureSet registered, CancellationToken cancellationToken) => _registered.ApplyAsync(registered, cancellationToken);

    Snapshot Build(Dictionary<string, RegisteredFeatureSet> registered)
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

        return new Snapshot([.. usable.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => s.Definitions), Shipped], usable);
    }

    bool Log(RegisteredFeatureSet set, string field, string problem)
    {
        _logger.LogWarning("Registered feature set {Version} is not used: {Field}: {Problem}", set.Version, field, problem);
        return true;
    }

    sealed record Snapshot(IReadOnlyList<FeatureDefinitions> Active, IReadOnlyDictionary<string, RegisteredFeatureSet> Registered)
        : IRegistrationView<RegisteredFeatureSet>;
}
