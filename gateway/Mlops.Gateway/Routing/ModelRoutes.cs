using Mlops.Contracts.Registry;

namespace Mlops.Gateway.Routing;

/// <summary>One model's deployment as the gateway applied it: its routes as of <see cref="Revision"/>.</summary>
public sealed record ModelRoutes
{
    public ModelRoutes(string modelName, long revision, IReadOnlyList<TrafficRoute> routes)
    {
        ModelName = modelName;
        Revision = revision;
        Routes = routes;
        Champion = routes.FirstOrDefault(r => r.Alias == ModelAliases.Champion && r.TrafficPercent > 0)
            ?? routes.Where(r => r.TrafficPercent > 0).OrderByDescending(r => r.TrafficPercent).FirstOrDefault();
        Shadow = routes.FirstOrDefault(r => r.Alias == ModelAliases.Shadow && r.MirrorPercent > 0);
        Split = routes.Count(r => r.TrafficPercent > 0) > 1;
    }

    public string ModelName { get; }

    public long Revision { get; }

    public IReadOnlyList<TrafficRoute> Routes { get; }

    /// <summary>The route of a request without an entity (the champion, else the largest share); null when nothing serves.</summary>
    public TrafficRoute? Champion { get; }

    /// <summary>The shadow route when it mirrors a share (MirrorPercent &gt; 0).</summary>
    public TrafficRoute? Shadow { get; }

    /// <summary>More than one route serves, so the entity decides.</summary>
    public bool Split { get; }

    /// <summary>Whether the entity matters for this model at all (split or mirror); when not, the body is never read.</summary>
    public bool NeedsEntity => Split || Shadow is not null;

    public TrafficRoute? Find(string alias) => Routes.FirstOrDefault(r => string.Equals(r.Alias, alias, StringComparison.Ordinal));
}
