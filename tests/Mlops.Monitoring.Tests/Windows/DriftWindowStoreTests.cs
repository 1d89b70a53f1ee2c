using Mlops.Monitoring.Storage;
using Mlops.Monitoring.Windows;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Monitoring.Tests.Windows;

/// <summary>
/// Which windows the store finds ready when models have sizes of their own, on the real PostgreSQL (a database of its
/// own, no evaluator running): every time is passed explicitly, so a setting can be changed between two rounds.
/// </summary>
public sealed class DriftWindowStoreTests : IAsyncLifetime
{
    static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset Hour = Now.AddHours(-4);

    NpgsqlDataSource _dataSource = null!;
    DriftWindowStore _store = null!;

    public async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await PlatformInfrastructure.CreateDatabaseAsync("drift_store_test"));
        _store = new DriftWindowStore(new MonitoringDatabase(_dataSource), new FixedClock(Now));
    }

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    [Fact]
    public async Task CountWindowsReadyAsync_ModelsOfThreeSizes_EachGroupReadyAtItsOwnModelsSizeAndSizeZeroNever()
    {
        await using var connection = await _store.OpenAsync(CancellationToken.None);
        await InsertAsync(connection, "small", 50, Hour);
        await InsertAsync(connection, "wide", 50, Hour);
        await InsertAsync(connection, "off", 50, Hour);
        var options = new DriftOptions
        {
            Models = { ["small"] = new() { WindowSize = 40 }, ["off"] = new() { WindowSize = 0 } },
        };

        var ready = await _store.CountWindowsReadyAsync(connection, options, CancellationToken.None);

        var (group, size) = Assert.Single(ready);
        Assert.Equal((new DriftWindowStore.Group("small", "1", "champion"), 40), (group, size));
        await using var transaction = await connection.BeginTransactionAsync();
        var (seqs, _) = await _store.NextCountWindowAsync(connection, transaction, group, size, options.JoinTimeout, CancellationToken.None);
        Assert.Equal(40, seqs.Length);
    }

    [Fact]
    public async Task TimeWindowsReadyAsync_DurationGrownAfterAQuarterWasJudged_TheRestOfThePeriodIsOneWindowFromWhereTheJudgedOneEnds()
    {
        await using var connection = await _store.OpenAsync(CancellationToken.None);
        await InsertAsync(connection, "m", 10, Hour.AddMinutes(5));
        await InsertAsync(connection, "m", 10, Hour.AddMinutes(20));
        await InsertAsync(connection, "m", 10, Hour.AddMinutes(50));
        var quarters = new DriftOptions { Models = { ["m"] = new() { WindowDuration = TimeSpan.FromMinutes(15) } } };
        var group = new DriftWindowStore.Group("m", "1", "champion");

        Assert.Equal(
            [(group, Hour, Hour.AddMinutes(15)), (group, Hour.AddMinutes(15), Hour.AddMinutes(30)), (group, Hour.AddMinutes(45), Hour.AddHours(1))],
            await _store.TimeWindowsReadyAsync(connection, quarters, CancellationToken.None));

        // The first quarter is judged; then the model's own duration is removed: the service-wide hour applies from here on.
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await _store.RecordAsync(connection, transaction, group, "time", Hour, Hour.AddMinutes(15), 10, null, TimeSpan.FromHours(1), CancellationToken.None);
            await JudgedWindowMarks.DriftAsync(connection, transaction, group, Hour, Hour.AddMinutes(15), CancellationToken.None);
            await transaction.CommitAsync();
        }

        var hourly = new DriftOptions();
        var (_, start, end) = Assert.Single(await _store.TimeWindowsReadyAsync(connection, hourly, CancellationToken.None));
        Assert.Equal((Hour.AddMinutes(15), Hour.AddHours(1)), (start, end));
        Assert.Equal(20, await DriftWindowStore.TimeWindowCountAsync(connection, group, start, end, CancellationToken.None));
    }

    [Fact]
    public async Task TimeWindowsReadyAsync_ServiceWideOffOneModelOn_OnlyThatModelsWindows()
    {
        await using var connection = await _store.OpenAsync(CancellationToken.None);
        await InsertAsync(connection, "timed", 10, Hour.AddMinutes(5));
        await InsertAsync(connection, "counted", 10, Hour.AddMinutes(5));
        var options = new DriftOptions { WindowDuration = TimeSpan.Zero, Models = { ["timed"] = new() { WindowDuration = TimeSpan.FromMinutes(30) } } };

        var (group, start, end) = Assert.Single(await _store.TimeWindowsReadyAsync(connection, options, CancellationToken.None));

        Assert.Equal(("timed", Hour, Hour.AddMinutes(30)), (group.ModelName, start, end));
    }

    // Ready predictions of version 1, champion, without a feature event (so ready for a count window at once), received
    // long enough ago that their time window has gone quiet.
    static async Task InsertAsync(NpgsqlConnection connection, string model, int count, DateTimeOffset predictedAt)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO prediction_samples (event_id, model_name, model_version, variant, entity_id, probability, predicted_at, received_at)
            SELECT e, $2, '1', 'champion', 'patient-' || e, 0.2, $3, $4 FROM unnest($1::text[]) AS e
            """, connection);
        command.Parameters.Add(new() { Value = Enumerable.Range(0, count).Select(_ => Guid.NewGuid().ToString()).ToArray() });
        command.Parameters.Add(new() { Value = model });
        command.Parameters.Add(new() { Value = predictedAt });
        command.Parameters.Add(new() { Value = Now.AddHours(-1) });
        await command.ExecuteNonQueryAsync();
    }

    sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
