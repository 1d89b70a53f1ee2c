using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;

namespace Mlops.Inference.Models;

/// <summary>
/// Every model this pod serves, by name and variant (champion, challenger, shadow), each with its own
/// <see cref="ModelHost"/> (hot swap, leases, state), and each model's routes as the registry last deployed them, so
/// an entity is answered by the variant <see cref="VariantAssignment"/> gives it — the same rule the gateway follows.
/// The default model (<see cref="InferenceOptions.DefaultModel"/>) answers the unnamed routes; while it has no version,
/// its champion host answers with the fallback rule.
/// </summary>
public sealed class ModelCatalog(IServiceProvider services, ILoggerFactory loggers, IOptions<InferenceOptions> options) : IDisposable
{
    readonly ConcurrentDictionary<(string Name, string Variant), ModelHost> _hosts = new();
    readonly ConcurrentDictionary<string, IReadOnlyList<TrafficRoute>> _routes = new(StringComparer.Ordinal);

    public string DefaultName => options.Value.DefaultModel;

    /// <summary>The default model's champion host (created on first use): the fallback rule answers for it while empty.</summary>
    public ModelHost Default => Host(DefaultName, ModelAliases.Champion);

    /// <summary>Every host known to this pod, by name then variant.</summary>
    public IReadOnlyCollection<ModelHost> All =>
        [.. _hosts.Values.OrderBy(h => h.Name, StringComparer.Ordinal).ThenBy(h => VariantOrder(h.Variant)).ThenBy(h => h.Variant, StringComparer.Ordinal)];

    /// <summary>Names of every model with a host here.</summary>
    public IReadOnlyCollection<string> Names => [.. _hosts.Keys.Select(k => k.Name).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>Whether this pod serves <paramref name="name"/>: every model, or only those listed in <c>Inference:Models</c>.</summary>
    public bool Serves(string name) =>
        options.Value.Models.Count == 0 || options.Value.Models.Contains(name, StringComparer.Ordinal) || name == DefaultName;

    /// <summary>Whether this pod serves <paramref name="variant"/>: every one, or only those in <c>Inference:Variants</c>.</summary>
    public bool ServesVariant(string variant) =>
        options.Value.Variants.Count == 0 || options.Value.Variants.Contains(variant, StringComparer.Ordinal);

    /// <summary>The host of <paramref name="name"/>'s <paramref name="variant"/>, created empty on first use.</summary>
    public ModelHost Host(string name, string variant = ModelAliases.Champion) =>
        _hosts.GetOrAdd((name, variant), k => new ModelHost(services, loggers.CreateLogger<ModelHost>()) { Name = k.Name, Variant = k.Variant });

    /// <summary>The hosts of <paramref name="name"/>, champion first.</summary>
    public IReadOnlyList<ModelHost> HostsOf(string name) => [.. All.Where(h => h.Name == name)];

    /// <summary>The routes of <paramref name="name"/>'s last applied deployment (empty: none, e.g. a local model only).</summary>
    public IReadOnlyList<TrafficRoute> RoutesOf(string name) => _routes.GetValueOrDefault(name) ?? [];

    /// <summary>Records the routes entities are assigned by (every route, also those of variants other pods serve).</summary>
    public void SetRoutes(string name, IReadOnlyList<TrafficRoute> routes) => _routes[name] = routes;

    /// <summary>
    /// The host answering a request for <paramref name="name"/> that names no variant and no entity: the champion,
    /// else the serving variant with the largest share, else (default model only) the champion host's fallback rule.
    /// The shadow never answers unless named.
    /// </summary>
    public ModelHost? Primary(string name)
    {
        var routes = RoutesOf(name);
        var loaded = HostsOf(name).Where(h => h.Current is not null && ServesVariant(h.Variant) && h.Variant != ModelAliases.Shadow)
            .OrderBy(h => VariantOrder(h.Variant))
            .ThenByDescending(h => routes.FirstOrDefault(r => r.Alias == h.Variant)?.TrafficPercent ?? 0)
            .FirstOrDefault();
        return loaded ?? (name == DefaultName && ServesVariant(ModelAliases.Champion) ? Default : null);
    }

    /// <summary>The host of a model this pod has a version of (or the default model, which the fallback answers).</summary>
    public bool TryGet(string name, out ModelHost host)
    {
        host = Primary(name)!;
        return host is not null;
    }

    /// <summary>
    /// Picks the host for a request: the variant named by the caller (<c>X-Model-Variant</c>), else the one the
    /// entity is assigned, else <see cref="Primary"/>.
    /// </summary>
    public VariantSelection Select(string name, string? variant, string? entityId)
    {
        if (!HostsOf(name).Any(h => h.Current is not null) && name != DefaultName)
        {
            return VariantSelection.UnknownModel;
        }

        if (variant is not null)
        {
            if (!ServesVariant(variant))
            {
                return VariantSelection.NotHere(variant, $"this pod serves only {string.Join(", ", options.Value.Variants)} (Inference:Variants)");
            }

            if (_hosts.TryGetValue((name, variant), out var named) && (named.Current is not null || ReferenceEquals(named, Default)))
            {
                return VariantSelection.Of(named);
            }

            var loaded = HostsOf(name).Where(h => h.Current is not null).Select(h => h.Variant).ToList();
            // The gateway and this pod apply a DeploymentChanged independently, so for a moment the gateway may name a
            // serving alias this pod has just unloaded or is still warming (the candidate turning from challenger into
            // champion at a promotion, the champion's route dropped at 100 %). Then the variant this pod's own routes
            // give answers (and names itself) rather than failing the request mid-rollout. A shadow mirror is never
            // answered by another variant: that would compare a version with itself.
            if (loaded.Count == 0 || variant is not (ModelAliases.Champion or ModelAliases.Challenger))
            {
                return VariantSelection.NotHere(variant, loaded.Count == 0 ? "no variant is loaded" : "loaded: " + string.Join(", ", loaded));
            }
        }

        if (entityId is not null && VariantAssignment.Assign(name, entityId, RoutesOf(name)) is { } route)
        {
            if (!ServesVariant(route.Alias))
            {
                return VariantSelection.AssignedElsewhere(route.Alias);
            }

            if (_hosts.TryGetValue((name, route.Alias), out var assigned) && assigned.Current is not null)
            {
                return VariantSelection.Of(assigned);
            }
        }

        // The assigned variant failed to load (its host says why): the primary answers, and says so in its answer.
        return Primary(name) is { } primary ? VariantSelection.Of(primary) : VariantSelection.UnknownModel;
    }

    /// <summary>
    /// The host that scores <paramref name="entityId"/>'s vectors on the stream, or null when another pod's variant
    /// owns the entity. The shadow never scores the stream (it is compared on mirrored requests at the gateway).
    /// </summary>
    public ModelHost? ForStream(string name, string entityId)
    {
        var routes = RoutesOf(name);
        if (routes.Count == 0 || VariantAssignment.Assign(name, entityId, routes) is not { } route)
        {
            // Not deployed by the registry (a local artifact, the fallback rule): the champion slot scores everything.
            var local = _hosts.GetValueOrDefault((name, ModelAliases.Champion));
            return ServesVariant(ModelAliases.Champion) && local is not null && (local.Current is not null || ReferenceEquals(local, Default)) ? local : null;
        }

        if (!ServesVariant(route.Alias))
        {
            return null;
        }

        if (_hosts.TryGetValue((name, route.Alias), out var assigned) && assigned.Current is not null)
        {
            return assigned;
        }

        // One pod for every variant: an entity whose variant is not loaded is still scored once, by the primary.
        // A pod of some variants leaves it unscored rather than scoring another pod's share twice.
        return options.Value.Variants.Count == 0 ? Primary(name) : null;
    }

    /// <summary>Drops the host of a variant that left the deployment (the default model's champion host stays, for the fallback).</summary>
    public async Task RemoveAsync(ModelHost host, string reason, CancellationToken cancellationToken)
    {
        // Out of the catalog before it stops serving: a reader never sees the variant listed yet no longer serving
        // (and a header naming it gets "not served" from then on); requests holding a lease finish on the old model.
        var removed = !ReferenceEquals(host, Default) && _hosts.TryRemove(new KeyValuePair<(string, string), ModelHost>((host.Name, host.Variant), host));
        await host.UnloadAsync(reason, cancellationToken);
        if (removed)
        {
            host.Dispose();
        }
    }

    static int VariantOrder(string variant) => variant switch
    {
        ModelAliases.Champion => 0,
        ModelAliases.Challenger => 1,
        ModelAliases.Shadow => 3,
        _ => 2,
    };

    public void Dispose()
    {
        foreach (var host in _hosts.Values)
        {
            host.Dispose();
        }
    }
}
