using Microsoft.Extensions.Options;
using Mlops.Monitoring.Slo;
using Mlops.Monitoring.Storage;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Monitoring.Tests.Slo;

/// <summary>
/// The SLO tables on the real PostgreSQL (a database of their own): windows summed over pods across a restart, rules
/// judged from stored readings, and alerts queued once per debounce period. Every time is passed explicitly.
/// </summary>
public sealed class SloStoreTests : IAsyncLifetime
{
    static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    NpgsqlDataSource _dataSource = null!;
    SloStore _store = null!;

    public async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await PlatformInfrastructure.CreateDatabaseAsync("slo_test"));
        _store = new SloStore(new MonitoringDatabase(_dataSource), Options.Create(new SloOptions()));
    }

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    [Fact]
    public async Task WindowAsync_TwoPodsOneRestarted_SumsEachPodsIncrease()
    {
        await using var connection = await _store.OpenAsync(CancellationToken.None);
        await Record(connection, Now.AddHours(-2), ("a", "ews", "1", new(1000, 10, 990)));
        await Record(connection, Now.AddHours(-1), ("a", "ews", "1", new(2000, 20, 1980)));
        // Pod a restarted; pod b starts serving the version.
        await Record(connection, Now.AddMinutes(-30), ("a", "ews", "1", new(100, 1, 99)), ("b", "ews", "1", new(500, 0, 500)));
        await Record(connection, Now, ("a", "ews", "1", new(600, 6, 594)), ("b", "ews", "1", new(800, 3, 790)));

        var hour = Assert.Single(await _store.WindowAsync(connection, "ews", TimeSpan.FromHours(1), Now, CancellationToken.None));
        var fiveMinutes = Assert.Single(await _store.WindowAsync(connection, "ews", TimeSpan.FromMinutes(5), Now, CancellationToken.None));

        // Last hour: pod a 100 + 500 successes, 1 + 5 errors, 99 + 495 fast since its 2000/20/1980 reading; pod b, younger
        // than the hour, from its first reading: 300, 3, 290.
        Assert.Equal(new SloCounters(900, 9, 884), hour.Counted);
        // Last five minutes: from the readings 30 min ago, a 500/5/495 and b 300/3/290.
        Assert.Equal(new SloCounters(800, 8, 785), fiveMinutes.Counted);
        Assert.Equal(250, hour.LatencyBoundMs);
    }

    [Fact]
    public async Task StatusAsync_VersionFailingTenPercent_PageAndTicketQueuedOncePerDebounce()
    {
        await using var connection = await _store.OpenAsync(CancellationToken.None);
        await Record(connection, Now.AddHours(-1), ("a", "burning", "3", new(1000, 0, 1000)));
        await Record(connection, Now.AddMinutes(-5), ("a", "burning", "3", new(1900, 100, 1900)));
        await Record(connection, Now, ("a", "burning", "3", new(1990, 110, 1990)));

        var statuses = await _store.StatusAsync(connection, "burning", Now, CancellationToken.None);
        var breaches = SloJudge.Breaches(statuses).ToList();

        // 110 of 1,100 failed over the hour and 10 of 100 over five minutes: 10 % burns a 0.1 % budget 100 times too fast,
        // in every window (the longer ones start at the first reading).
        Assert.Equal([SloJudge.Availability, SloJudge.Latency], statuses.Select(s => s.Kind));
        Assert.Equal([(SloJudge.Availability, SloJudge.Page), (SloJudge.Availability, SloJudge.Ticket)], breaches.Select(b => (b.Slo.Kind, b.Rule.Severity)));
        var page = SloScraper.Alert(breaches[0].Slo, breaches[0].Rule, Now);
        Assert.Equal((110L, 1100L, 10L, 100L), (page.LongBad, page.LongTotal, page.ShortBad, page.ShortTotal));
        Assert.Equal(100, page.LongBurnRate, 6);
        Assert.Equal(100, page.ShortBurnRate, 6);

        Assert.True(await _store.QueueAsync(connection, page, CancellationToken.None));
        Assert.False(await _store.QueueAsync(connection, SloScraper.Alert(breaches[0].Slo, breaches[0].Rule, Now.AddMinutes(1)), CancellationToken.None));
        Assert.True(await _store.QueueAsync(connection, SloScraper.Alert(breaches[1].Slo, breaches[1].Rule, Now), CancellationToken.None));
        Assert.True(await _store.QueueAsync(connection, SloScraper.Alert(breaches[0].Slo, breaches[0].Rule, Now.AddHours(1).AddSeconds(1)), CancellationToken.None));

        await using var count = new NpgsqlCommand("SELECT count(*) FROM monitoring_alerts WHERE event_type = 'SloBreached' AND model_name = 'burning'", connection);
        Assert.Equal(3L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task StatusAsync_ModelThresholdChanged_JudgesTheStoredWindowsAgainstTheNewOne()
    {
        await using var connection = await _store.OpenAsync(CancellationToken.None);
        double[] bounds = [5, 50, 500];
        // Every request took between 5 and 50 ms.
        await RecordBuckets(connection, Now.AddHours(-1), new(1000, 0, 1000), new(bounds, [0, 1000, 1000]));
        await RecordBuckets(connection, Now, new(2000, 0, 2000), new(bounds, [0, 2000, 2000]));

        var strict = await _store.StatusAsync(connection, "ews", Now, CancellationToken.None,
            new Dictionary<string, SloObjectives> { ["ews"] = new(4, 0.99, 0.999) });
        var relaxed = await _store.StatusAsync(connection, "ews", Now, CancellationToken.None,
            new Dictionary<string, SloObjectives> { ["ews"] = new(20, 0.99, 0.999) });

        // 4 ms rounds up to the 5 ms bound: all 1,000 requests of the hour were slow. 20 ms rounds up to 50: none.
        var slow = strict.Single(s => s.Kind == SloJudge.Latency);
        Assert.Equal((5.0, 1000L, 1000L, true), (slow.LatencyThresholdMs!.Value, slow.Rules[0].Long.Bad, slow.Rules[0].Long.Total, slow.Rules[0].Firing));
        var fast = relaxed.Single(s => s.Kind == SloJudge.Latency);
        Assert.Equal((50.0, 0L, false), (fast.LatencyThresholdMs!.Value, fast.Rules[0].Long.Bad, fast.Rules.Any(r => r.Firing)));
    }

    [Fact]
    public async Task ClearAsync_OpenBreach_QueuedOnceAndClosed()
    {
        await using var connection = await _store.OpenAsync(CancellationToken.None);
        await Record(connection, Now.AddHours(-1), ("a", "clearing", "1", new(1000, 0, 1000)));
        await Record(connection, Now, ("a", "clearing", "1", new(1900, 100, 1900)));
        var (slo, rule) = SloJudge.Breaches(await _store.StatusAsync(connection, "clearing", Now, CancellationToken.None)).First();
        var breach = SloScraper.Alert(slo, rule, Now);
        Assert.True(await _store.QueueAsync(connection, breach, CancellationToken.None));

        var open = Assert.Single(await _store.OpenBreachesAsync(connection, CancellationToken.None), b => b.ModelName == "clearing");
        var cleared = SloScraper.Cleared(open, null, new SloOptions(), new SloObjectives(250, 0.99, 0.999), Now.AddMinutes(10));

        Assert.Equal(breach.AlertId, open.AlertId);
        Assert.True(await _store.ClearAsync(connection, cleared, CancellationToken.None));
        Assert.False(await _store.ClearAsync(connection, cleared with { AlertId = Guid.CreateVersion7() }, CancellationToken.None));
        Assert.DoesNotContain(await _store.OpenBreachesAsync(connection, CancellationToken.None), b => b.ModelName == "clearing");
        await using var count = new NpgsqlCommand("SELECT count(*) FROM monitoring_alerts WHERE event_type = 'SloCleared' AND model_name = 'clearing'", connection);
        Assert.Equal(1L, await count.ExecuteScalarAsync());
        // No traffic judged at the clearing: its evidence says so rather than inventing a rate.
        Assert.Equal((SloJudge.Availability, SloJudge.Page, (double?)null, 14.4), (cleared.Kind, cleared.Severity, cleared.LongBurnRate, cleared.BurnRateThreshold));
    }

    Task RecordBuckets(NpgsqlConnection connection, DateTimeOffset at, SloCounters raw, LatencyBuckets buckets) =>
        _store.RecordAsync(connection, [new SloReading("http://a/", "ews", "1", raw, 250, buckets)], at, CancellationToken.None);

    async Task Record(NpgsqlConnection connection, DateTimeOffset at, params (string Pod, string Model, string Version, SloCounters Raw)[] readings) =>
        await _store.RecordAsync(connection, readings.Select(r => new SloReading($"http://{r.Pod}/", r.Model, r.Version, r.Raw, 250)).ToList(), at, CancellationToken.None);
}
