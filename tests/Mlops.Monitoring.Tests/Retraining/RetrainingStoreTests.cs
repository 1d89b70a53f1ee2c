using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Retraining;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Monitoring.Tests.Retraining;

/// <summary>The debounce against the real PostgreSQL (a database of its own): one retraining per model, the cooldown, idempotent claims.</summary>
public sealed class RetrainingStoreTests : IAsyncLifetime
{
    NpgsqlDataSource _dataSource = null!;
    readonly SettableClock _clock = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    RetrainingStore _store = null!;

    public async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await PlatformInfrastructure.CreateDatabaseAsync("retraining_store"));
        _store = new RetrainingStore(_dataSource, _clock);
    }

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    RequestRetraining Request(string model = "deterioration", string trigger = RetrainingTriggers.Manual) => new()
    {
        RequestId = Guid.NewGuid(), ModelName = model, Trigger = trigger, Reason = "labels turned against the champion", RequestedBy = "ops-alice",
        Evidence = new Dictionary<string, string> { ["windowId"] = "7" }, RequestedAt = _clock.GetUtcNow(),
    };

    [Fact]
    public async Task Claim_ConcurrentRequestsForOneModel_ExactlyOneAcceptedTheOthersDebouncedNamingIt()
    {
        var requests = Enumerable.Range(0, 12).Select(_ => Request()).ToArray();

        var records = await Task.WhenAll(requests.Select(r => Task.Run(() => _store.ClaimAsync(r, CancellationToken.None))));

        var accepted = Assert.Single(records, r => r.Status == RetrainingStore.Accepted);
        var debounced = records.Where(r => r.Status == RetrainingStore.Debounced).ToArray();
        Assert.Equal(11, debounced.Length);
        Assert.All(debounced, r =>
        {
            Assert.Equal(accepted.RequestId, r.BlockingRetrainingId);
            Assert.Equal($"retraining {accepted.RequestId} of deterioration is under way", r.DebounceReason);
        });
        Assert.Equal(12, (await _store.ListAsync("deterioration", 100, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Claim_SameRequestRedelivered_StaysAcceptedAndRecordedOnce()
    {
        var request = Request();

        var first = await _store.ClaimAsync(request, CancellationToken.None);
        var again = await _store.ClaimAsync(request, CancellationToken.None);

        Assert.Equal((RetrainingStore.Accepted, RetrainingStore.Accepted), (first.Status, again.Status));
        Assert.Single(await _store.ListAsync("deterioration", 100, CancellationToken.None));
        Assert.Equal("7", again.Evidence["windowId"]);
    }

    [Fact]
    public async Task Claim_AfterReleaseWithinCooldown_DebouncedUntilTheCooldownEnds()
    {
        var first = Request();
        await _store.ClaimAsync(first, CancellationToken.None);
        await _store.ReleaseAsync("deterioration", first.RequestId, _clock.GetUtcNow(), TimeSpan.FromHours(6), CancellationToken.None);

        _clock.Advance(TimeSpan.FromHours(6) - TimeSpan.FromSeconds(1));
        var early = await _store.ClaimAsync(Request(trigger: RetrainingTriggers.Schedule), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var due = await _store.ClaimAsync(Request(trigger: RetrainingTriggers.Schedule), CancellationToken.None);

        Assert.Equal(RetrainingStore.Debounced, early.Status);
        Assert.Equal($"cooldown after retraining {first.RequestId} runs until 2026-12-02T18:00:00.0000000+00:00", early.DebounceReason);
        Assert.Equal(RetrainingStore.Accepted, due.Status);
    }

    [Fact]
    public async Task Claim_OtherModel_NotBlockedByAnActiveRetraining()
    {
        await _store.ClaimAsync(Request("deterioration"), CancellationToken.None);

        var other = await _store.ClaimAsync(Request("sepsis"), CancellationToken.None);

        Assert.Equal(RetrainingStore.Accepted, other.Status);
    }

    [Fact]
    public async Task Release_ByAnotherRetraining_DoesNotFreeTheModel()
    {
        var active = Request();
        await _store.ClaimAsync(active, CancellationToken.None);

        await _store.ReleaseAsync("deterioration", Guid.NewGuid(), _clock.GetUtcNow(), TimeSpan.Zero, CancellationToken.None);
        var next = await _store.ClaimAsync(Request(), CancellationToken.None);

        Assert.Equal(RetrainingStore.Debounced, next.Status);
        Assert.Equal(active.RequestId, next.BlockingRetrainingId);
    }

    sealed class SettableClock(DateTimeOffset now) : TimeProvider
    {
        DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
