using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Mlops.Gateway.Routing;

namespace Mlops.Gateway.Shadow;

/// <summary>Every model's shadow comparison since this gateway replica started, per version pair.</summary>
public sealed class ShadowComparisons(IOptions<ShadowOptions> options, DeploymentTable deployments)
{
    readonly ConcurrentDictionary<string, ModelCounters> _models = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<(string Model, string Variant, string Primary, string Shadow), ShadowPairStatistics> _pairs = new();

    public void Count(string modelName, ShadowOutcome outcome)
    {
        var counters = _models.GetOrAdd(modelName, _ => new ModelCounters());
        switch (outcome)
        {
            case ShadowOutcome.Queued: Interlocked.Increment(ref counters.Queued); break;
            case ShadowOutcome.Dropped: Interlocked.Increment(ref counters.Dropped); break;
            case ShadowOutcome.Failed: Interlocked.Increment(ref counters.Failed); break;
            case ShadowOutcome.Uncomparable: Interlocked.Increment(ref counters.Uncomparable); break;
        }

        ShadowTelemetry.Mirrors.Add(1, new("model.name", modelName), new("outcome", outcome.ToString().ToLowerInvariant()));
    }

    public void Record(string modelName, string primaryVariant, string primaryVersion, string shadowVersion,
        IReadOnlyList<double> primary, IReadOnlyList<double> shadow, double primaryLatencyMs, double shadowLatencyMs)
    {
        var settings = options.Value;
        var pair = _pairs.GetOrAdd((modelName, primaryVariant, primaryVersion, shadowVersion),
            key => new ShadowPairStatistics(key.Primary, key.Shadow, settings.LatencyWindow));
        pair.Add(primary, shadow, settings.DecisionThreshold, primaryLatencyMs, shadowLatencyMs);
        Count(modelName, ShadowOutcome.Compared);

        KeyValuePair<string, object?>[] tags = [new("model.name", modelName), new("model.version", primaryVersion), new("shadow.version", shadowVersion)];
        for (var i = 0; i < primary.Count; i++)
        {
            ShadowTelemetry.AbsoluteDifference.Record(Math.Abs(primary[i] - shadow[i]), tags);
            ShadowTelemetry.Decisions.Add(1, [.. tags, new("agree", primary[i] >= settings.DecisionThreshold == shadow[i] >= settings.DecisionThreshold)]);
        }

        ShadowTelemetry.Latency.Record(primaryLatencyMs, [.. tags, new("side", "primary")]);
        ShadowTelemetry.Latency.Record(shadowLatencyMs, [.. tags, new("side", "shadow")]);
    }

    /// <summary>The model's report; null when it has no shadow route and nothing was ever mirrored for it.</summary>
    public ShadowReport? Report(string modelName)
    {
        var shadow = deployments.Find(modelName)?.Shadow;
        if (!_models.TryGetValue(modelName, out var counters) && shadow is null)
        {
            return null;
        }

        counters ??= new ModelCounters();
        return new ShadowReport
        {
            ModelName = modelName,
            DecisionThreshold = options.Value.DecisionThreshold,
            Shadow = shadow is null ? null : new ShadowRouteReport(shadow.Version, shadow.MirrorPercent),
            Queued = Interlocked.Read(ref counters.Queued),
            Dropped = Interlocked.Read(ref counters.Dropped),
            Failed = Interlocked.Read(ref counters.Failed),
            Uncomparable = Interlocked.Read(ref counters.Uncomparable),
            Pairs = [.. _pairs.Where(p => p.Key.Model == modelName)
                .OrderBy(p => p.Key.Variant, StringComparer.Ordinal).ThenBy(p => p.Key.Primary, StringComparer.Ordinal).ThenBy(p => p.Key.Shadow, StringComparer.Ordinal)
                .Select(p => p.Value.Report(p.Key.Variant))],
        };
    }

    sealed class ModelCounters
    {
        public long Queued;
        public long Dropped;
        public long Failed;
        public long Uncomparable;
    }
}
