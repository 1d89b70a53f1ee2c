using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mlops.Inference.Lineage;
using Mlops.Inference.Scoring;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Inference.Tests.Lineage;

/// <summary>The prediction log's queue (a bounded wait, never failing a prediction) and its retention purge on a real database.</summary>
public sealed class PredictionLogTests
{
    [Fact]
    public async Task Record_QueueFull_DropsTheNewEntryAtOnce()
    {
        var log = new PredictionLog(Options.Create(new PredictionLogOptions { Capacity = 2, WriteWait = TimeSpan.Zero }));

        Assert.True(await log.RecordAsync(Result(), "patient-1", null, PredictionSources.Http));
        Assert.True(await log.RecordAsync(Result(), "patient-2", null, PredictionSources.Http));
        Assert.False(await log.RecordAsync(Result(), "patient-3", null, PredictionSources.Http));
        Assert.Equal(2, log.Pending);
    }

    [Fact]
    public async Task Record_Disabled_KeepsNothing()
    {
        var log = new PredictionLog(Options.Create(new PredictionLogOptions { Enabled = false }));

        Assert.False(await log.RecordAsync(Result(), "patient-1", null, PredictionSources.Stream));
        Assert.Equal(0, log.Pending);
    }

    [Fact]
    public async Task Record_NothingWritesTheQueue_AnsweredUnconfirmedAfterTheWaitAndStillQueued()
    {
        // No writer runs: the entry can never be confirmed, so the caller gets its answer after the wait, told so.
        var log = new PredictionLog(Options.Create(new PredictionLogOptions { WriteWait = TimeSpan.FromMilliseconds(50) }));

        Assert.False(await log.RecordAsync(Result(), "patient-1", null, PredictionSources.Http));
        Assert.Equal(1, log.Pending);
    }

    [Fact]
    public async Task Purge_RowsOlderThanTheRetention_AreDeleted_NewerOnesKept()
    {
        await using var dataSource = new NpgsqlDataSourceBuilder(await PlatformInfrastructure.CreateDatabaseAsync("lineage")).Build();
        var database = new PredictionLogDatabase(dataSource);
        var now = DateTimeOffset.UtcNow;
        await InsertAsync(database, "old", now.AddDays(-8));
        await InsertAsync(database, "recent", now.AddDays(-6));
        var purger = new PredictionLogPurger(database, Options.Create(new PredictionLogOptions { Retention = TimeSpan.FromDays(7) }), TimeProvider.System,
            NullLogger<PredictionLogPurger>.Instance);

        Assert.Equal(1, await purger.PurgeAsync(CancellationToken.None));

        var store = new PredictionLogStore(database);
        Assert.Null(await store.FindAsync("old", CancellationToken.None));
        Assert.NotNull(await store.FindAsync("recent", CancellationToken.None));
    }

    static async Task InsertAsync(PredictionLogDatabase database, string id, DateTimeOffset at)
    {
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand("""
            INSERT INTO prediction_log (prediction_id, model_name, model_version, variant, features, probability, uncertainty, fallback, source, predicted_at)
            VALUES ($1, 'm', '1', 'champion', '[]', 0.5, 0, false, 'http', $2)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = at });
        await command.ExecuteNonQueryAsync();
    }

    static PredictionResult Result() => new("deterioration", "1", 0.3, 0.01, false, 0.2) { Variant = "champion", Input = [new("heart_rate", 90)] };
}
