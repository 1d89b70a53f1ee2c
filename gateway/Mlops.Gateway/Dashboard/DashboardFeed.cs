using System.Diagnostics;
using System.IO.Hashing;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace Mlops.Gateway.Dashboard;

/// <summary>
/// Polls the services while a browser listens (and once for a single request): each cluster's <c>/health/ready</c> and
/// <c>/metrics</c>, and the lists the dashboard shows live (rollouts, alerts, runs, models, retraining; dead letters through the
/// dead-letter topic's end offsets, since listing them reads the whole topic)
/// through the same read APIs the gateway routes. A list whose content changed moves its topic's version, which
/// <see cref="DashboardApi"/> pushes as an event so the page reloads just that part.
/// </summary>
public sealed class DashboardFeed(
    IProxyConfigProvider proxy, IHttpClientFactory http, IOptions<DashboardOptions> options, TimeProvider time, ILogger<DashboardFeed> log)
    : BackgroundService
{
    public const string HttpClientName = "dashboard-feed";

    /// <summary>Watched lists: topic → (cluster, path of a read endpoint the gateway also routes).</summary>
    public static readonly IReadOnlyDictionary<string, (string Cluster, string Path)> Watched = new Dictionary<string, (string, string)>
    {
        ["rollouts"] = ("registry", "api/registry/rollouts"),
        ["models"] = ("registry", "api/registry/models"),
        ["runs"] = ("training", "api/training/runs?limit=50"),
        ["alerts"] = ("monitoring", "api/monitoring/alerts"),
        ["retraining"] = ("monitoring", "api/monitoring/retraining"),
        ["deadletters"] = ("ingestion", "api/ingestion/deadletters/watermark"),
    };

    readonly object _gate = new();
    readonly Dictionary<string, (ulong Hash, long Version)> _topics = new(StringComparer.Ordinal);
    readonly Dictionary<string, (RequestCounts Counts, DateTimeOffset At)> _previous = new(StringComparer.Ordinal);
    readonly SemaphoreSlim _pollLock = new(1, 1);
    TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    FeedSnapshot? _snapshot;
    int _subscribers;
    long _sequence;

    /// <summary>The latest snapshot, polling first when it is older than the poll interval.</summary>
    public async Task<FeedSnapshot> CurrentAsync(CancellationToken ct)
    {
        var current = _snapshot;
        if (current is not null && time.GetUtcNow() - current.At < options.Value.PollInterval)
        {
            return current;
        }

        await PollAsync(ct);
        return _snapshot!;
    }

    /// <summary>Counts a listener in; the feed polls while there is one.</summary>
    public IDisposable Subscribe()
    {
        lock (_gate)
        {
            _subscribers++;
            _listening.TrySetResult();
        }

        DashboardTelemetry.Subscribers.Add(1);
        return new Subscription(this);
    }

    /// <summary>Completes when a snapshot newer than <paramref name="sequence"/> exists.</summary>
    public Task WaitForNewerAsync(long sequence, CancellationToken ct)
    {
        lock (_gate)
        {
            return (_snapshot?.Sequence ?? 0) > sequence ? Task.CompletedTask : _changed.Task.WaitAsync(ct);
        }
    }

    public FeedSnapshot? Latest => _snapshot;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Task listening;
            lock (_gate)
            {
                listening = _listening.Task;
            }

            await listening.WaitAsync(stoppingToken);
            try
            {
                await PollAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // A poll that fails as a whole (not one service: those are reported per service) is tried again next time.
                log.LogWarning(ex, "Dashboard feed poll failed");
            }

            await Task.Delay(options.Value.PollInterval, time, stoppingToken);
        }
    }

    async Task PollAsync(CancellationToken ct)
    {
        await _pollLock.WaitAsync(ct);
        try
        {
            using var activity = DashboardTelemetry.Source.StartActivity("dashboard poll");
            var clusters = proxy.GetConfig().Clusters
                .Select(c => (c.ClusterId, Address: c.Destinations?.Values.FirstOrDefault()?.Address))
                .Where(c => c.Address is not null)
                .OrderBy(c => c.ClusterId, StringComparer.Ordinal)
                .ToList();
            var statuses = await Task.WhenAll(clusters.Select(c => ProbeAsync(c.ClusterId, c.Address!, ct)));
            var addresses = clusters.ToDictionary(c => c.ClusterId, c => c.Address!, StringComparer.Ordinal);
            var hashes = await Task.WhenAll(Watched.Select(async w =>
                (Topic: w.Key, Hash: addresses.TryGetValue(w.Value.Cluster, out var a) ? await HashAsync(w.Value.Cluster, a, w.Value.Path, ct) : null)));

            lock (_gate)
            {
                foreach (var (topic, hash) in hashes)
                {
                    if (hash is not { } h)
                    {
                        continue;
                    }

                    var (old, version) = _topics.GetValueOrDefault(topic);
                    _topics[topic] = old == h && version > 0 ? (old, version) : (h, version + 1);
                }

                _snapshot = new FeedSnapshot(++_sequence, time.GetUtcNow(), statuses, _topics.ToDictionary(t => t.Key, t => t.Value.Version));
                var changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                changed.TrySetResult();
            }
        }
        finally
        {
            _pollLock.Release();
        }
    }

    async Task<ServiceStatus> ProbeAsync(string service, string address, CancellationToken ct)
    {
        var client = http.CreateClient(HttpClientName);
        var baseUri = new Uri(address.EndsWith('/') ? address : address + "/");
        string health;
        string? detail = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Value.Timeout);
            using var response = await client.GetAsync(new Uri(baseUri, "health/ready"), timeout.Token);
            health = response.IsSuccessStatusCode ? "Healthy" : "Unhealthy";
            if (!response.IsSuccessStatusCode)
            {
                detail = Truncate(await response.Content.ReadAsStringAsync(timeout.Token), 600);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            DashboardTelemetry.Polls.Add(1, new("service", service), new("outcome", "unreachable"));
            return new ServiceStatus(service, address, "Unreachable", ex.Message, null, null, null, null, time.GetUtcNow());
        }

        double? total = null, errors = null, rate = null, errorRate = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Value.Timeout);
            var counts = RequestCounts.Parse(await client.GetStringAsync(new Uri(baseUri, "metrics"), timeout.Token));
            var now = time.GetUtcNow();
            (total, errors) = (counts.Requests, counts.Errors);
            lock (_gate)
            {
                if (_previous.TryGetValue(service, out var before) && now > before.At && counts.Requests >= before.Counts.Requests)
                {
                    var seconds = (now - before.At).TotalSeconds;
                    rate = (counts.Requests - before.Counts.Requests) / seconds;
                    errorRate = Math.Max(0, counts.Errors - before.Counts.Errors) / seconds;
                }

                _previous[service] = (counts, now);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            detail ??= $"metrics: {ex.Message}";
        }

        DashboardTelemetry.Polls.Add(1, new("service", service), new("outcome", health));
        return new ServiceStatus(service, address, health, detail, total, errors, rate, errorRate, time.GetUtcNow());
    }

    async Task<ulong?> HashAsync(string cluster, string address, string path, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Value.Timeout);
            var baseUri = new Uri(address.EndsWith('/') ? address : address + "/");
            var body = await http.CreateClient(HttpClientName).GetByteArrayAsync(new Uri(baseUri, path), timeout.Token);
            return XxHash64.HashToUInt64(body);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            // The service's own status says it is down; its list keeps its last version until it answers again.
            Activity.Current?.AddEvent(new ActivityEvent($"{cluster} {path}: {ex.Message}"));
            return null;
        }
    }

    static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    void Unsubscribe()
    {
        lock (_gate)
        {
            if (--_subscribers == 0)
            {
                _listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        DashboardTelemetry.Subscribers.Add(-1);
    }

    sealed class Subscription(DashboardFeed feed) : IDisposable
    {
        int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                feed.Unsubscribe();
            }
        }
    }
}
