using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mlops.Ingestion.Storage;
using Mlops.Ingestion.Validation;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Ingestion.Tests.Storage;

/// <summary>
/// The group commit of single observations against a database of its own (no outbox relay, so the outbox rows stay to
/// be read): what concurrent senders are answered, what is stored, and the trace each row keeps.
/// </summary>
public sealed class ObservationGroupCommitTests : IAsyncLifetime
{
    NpgsqlDataSource _dataSource = null!;
    ObservationGroupCommit _commit = null!;

    public async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await PlatformInfrastructure.CreateDatabaseAsync("ingestion_group_commit"));
        var database = new IngestionDatabase(_dataSource);
        await database.EnsureSchemaAsync(CancellationToken.None);
        _commit = new ObservationGroupCommit(new RawObservationStore(database, new OutboxSignal()), Options.Create(new GroupCommitOptions { MaxGroupSize = 64 }),
            NullLogger<ObservationGroupCommit>.Instance);
        await _commit.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _commit.StopAsync(CancellationToken.None);
        _commit.Dispose();
        await _dataSource.DisposeAsync();
    }

    [Fact]
    public async Task StoreAsync_ManySendersAtOnce_EachStoredOnceAndQueuedUnderItsOwnTrace()
    {
        using var source = new ActivitySource("group-commit-tests");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        var sends = Enumerable.Range(0, 300).Select(async i =>
        {
            await Task.Yield();
            using var request = source.StartActivity($"request {i}")!;
            var result = await _commit.StoreAsync(Observation($"gc-{i}", 60 + i % 40), CancellationToken.None);
            return (Id: $"gc-{i}", request.TraceId, Result: result);
        }).ToList();
        var answers = await Task.WhenAll(sends);

        Assert.All(answers, a => Assert.Equal(StoreOutcome.Accepted, a.Result.Outcome));
        Assert.Equal(300, answers.Select(a => a.Result.Sequence).Distinct().Count());
        var queued = await OutboxAsync();
        Assert.Equal(300, queued.Count);
        foreach (var (id, traceId, result) in answers)
        {
            // traceparent = 00-<trace id>-<span id>-<flags>: the row carries the trace of the request that sent it.
            Assert.Equal(traceId.ToHexString(), queued[result.Sequence!.Value].Split('-')[1]);
        }
    }

    [Fact]
    public async Task StoreAsync_SameIdSentConcurrently_OneAcceptedTheRestDuplicatesAndADifferentBodyConflicts()
    {
        var same = Enumerable.Range(0, 20).Select(_ => _commit.StoreAsync(Observation("gc-same", 72), CancellationToken.None)).ToList();
        var results = await Task.WhenAll(same);
        var different = await _commit.StoreAsync(Observation("gc-same", 99), CancellationToken.None);

        Assert.Single(results, r => r.Outcome == StoreOutcome.Accepted);
        Assert.Equal(19, results.Count(r => r.Outcome == StoreOutcome.Duplicate));
        Assert.Single(results.Select(r => r.Sequence).Distinct());
        Assert.Equal(StoreOutcome.Conflict, different.Outcome);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM observations WHERE observation_id = 'gc-same'"));
    }

    [Fact]
    public async Task StoreAsync_DatabaseUnreachable_EverySenderGetsTheErrorAndNothingIsAcknowledged()
    {
        // A store on a port nothing listens on: the commit fails as when PostgreSQL is down.
        var builder = new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString) { Port = 1, Timeout = 2 };
        await using var away = NpgsqlDataSource.Create(builder.ConnectionString);
        using var commit = new ObservationGroupCommit(new RawObservationStore(new IngestionDatabase(away), new OutboxSignal()),
            Options.Create(new GroupCommitOptions()), NullLogger<ObservationGroupCommit>.Instance);
        await commit.StartAsync(CancellationToken.None);

        var sends = Enumerable.Range(0, 5).Select(i => commit.StoreAsync(Observation($"gc-away-{i}", 70), CancellationToken.None)).ToList();

        foreach (var send in sends)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => send);
        }

        await commit.StopAsync(CancellationToken.None);
    }

    static readonly DateTimeOffset EventTime = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds());

    static ValidatedObservation Observation(string id, double value) => new()
    {
        ObservationId = id, EntityId = "patient-gc", EntityType = "patient", Code = "heart_rate", Value = value, Unit = "/min",
        OriginalValue = value.ToString(System.Globalization.CultureInfo.InvariantCulture), EventTime = EventTime, SourceSystem = "ward",
    };

    async Task<Dictionary<long, string>> OutboxAsync()
    {
        await using var command = _dataSource.CreateCommand("SELECT seq, traceparent FROM observation_outbox");
        var rows = new Dictionary<long, string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows[reader.GetInt64(0)] = reader.GetString(1);
        }

        return rows;
    }

    async Task<long> CountAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
