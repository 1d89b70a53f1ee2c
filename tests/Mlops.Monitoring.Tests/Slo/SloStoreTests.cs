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

    async Task Record(NpgsqlConnection connection, DateTimeOffset at, params (string Pod, string Model, string Version, SloCounters Raw)[] readings) =>
        await _store.RecordAsync(connection, readings.Select(r => new SloReading($"http://{r.Pod}/", r.Model, r.Version, r.Raw, 250)).ToList(), at, CancellationToken.None);
}
