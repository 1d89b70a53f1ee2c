using System.Collections.Concurrent;

namespace Mlops.Monitoring.Slo;

/// <summary>Which inference pods the last scrape could not read, and why (for readiness).</summary>
public sealed class SloScrapeStatus
{
    readonly ConcurrentDictionary<string, (string Reason, DateTimeOffset Since)> _failing = new(StringComparer.Ordinal);

    public IReadOnlyList<(string Instance, string Reason, DateTimeOffset Since)> Failing =>
        _failing.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => (f.Key, f.Value.Reason, f.Value.Since)).ToList();

    public void Succeeded(string instance) => _failing.TryRemove(instance, out _);

    /// <summary>Keeps the time of the first failure in a row, so readiness says how long the pod has been unreadable.</summary>
    public void Failed(string instance, string reason, DateTimeOffset now) =>
        _failing.AddOrUpdate(instance, (reason, now), (_, before) => (reason, before.Since));
}
