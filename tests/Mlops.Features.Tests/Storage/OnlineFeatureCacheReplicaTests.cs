using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Features.Tests.Storage;

/// <summary>
/// Two replicas' online read paths on one features database (each with its own connection pool, cache and listener, as
/// two processes have): a vector one replica commits replaces what the other has cached; a rolled-back write is never
/// served; a listener that loses its connection never leaves the cache stale.
/// </summary>
public sealed class OnlineFeatureCacheReplicaTests : IAsyncLifetime
{
    const string SetVersion = "vitals-replicatest";
    string _connectionString = "";
    Replica _a = null!;
    Replica _b = null!;

    public async Task InitializeAsync()
    {
        _connectionString = await PlatformInfrastructure.CreateDatabaseAsync("features_replicas");
        _a = await Replica.StartAsync(_connectionString, "replica-a");
        _b = await Replica.StartAsync(_connectionString, "replica-b");
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Fact]
    public async Task Read_AfterTheOtherReplicaCommitsANewerVector_ServesTheNewerVector()
    {
        await _a.WriteAsync("p-1", heartRate: 70, commit: true);
        Assert.Equal(70, (await _b.ReadAsync("p-1"))?.Values["heart_rate_last"]);
        Assert.Equal(70, (await _b.ReadAsync("p-1"))?.Values["heart_rate_last"]); // now from B's cache

        await _a.WriteAsync("p-1", heartRate: 91, commit: true);

        await Eventually.WaitUntilAsync(async () => (await _b.ReadAsync("p-1"))?.Values["heart_rate_last"] == 91,
            "replica B serves the vector replica A committed", TimeSpan.FromSeconds(20));
        Assert.Equal(91, (await _a.ReadAsync("p-1"))?.Values["heart_rate_last"]);
    }

    [Fact]
    public async Task RolledBackWrite_OnTheOtherReplica_IsNeverServed()
    {
        await _a.WriteAsync("p-2", heartRate: 60, commit: true);
        Assert.Equal(60, (await _b.ReadAsync("p-2"))?.Values["heart_rate_last"]);

        await _a.WriteAsync("p-2", heartRate: 150, commit: false);
        // Notifications arrive in commit order: once B has seen this later commit, it has seen whatever came before.
        await _a.WriteAsync("p-2-marker", heartRate: 1, commit: true);
        await Eventually.WaitUntilAsync(async () => (await _b.ReadAsync("p-2-marker")) is not null, "replica B sees the marker", TimeSpan.FromSeconds(20));
        await Eventually.WaitUntilAsync(() => Task.FromResult(_b.Cache.Listening), "replica B listens", TimeSpan.FromSeconds(20));

        Assert.Equal(60, (await _b.ReadAsync("p-2"))?.Values["heart_rate_last"]);
        Assert.Equal(60, (await _a.ReadAsync("p-2"))?.Values["heart_rate_last"]);
    }

    [Fact]
    public async Task ListenerConnectionKilled_WritesMeanwhileAreStillSeen()
    {
        await _a.WriteAsync("p-3", heartRate: 80, commit: true);
        Assert.Equal(80, (await _b.ReadAsync("p-3"))?.Values["heart_rate_last"]);

        await using (var admin = NpgsqlDataSource.Create(_connectionString))
        await using (var kill = admin.CreateCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'replica-b'"))
        {
            // Every connection of replica B, the listener's among them: notifications sent now are lost to it.
            Assert.True((long)(await kill.ExecuteScalarAsync())! >= 1);
        }

        await _a.WriteAsync("p-3", heartRate: 120, commit: true);

        await Eventually.WaitUntilAsync(async () => (await _b.ReadAsync("p-3"))?.Values["heart_rate_last"] == 120,
            "replica B serves the vector written while its listener was down", TimeSpan.FromSeconds(30));
        await Eventually.WaitUntilAsync(() => Task.FromResult(_b.Cache.Listening), "replica B listens again", TimeSpan.FromSeconds(30));
        Assert.Equal(120, (await _b.ReadAsync("p-3"))?.Values["heart_rate_last"]);
    }

    /// <summary>What one features process holds for online reads: its own pool, store, cache and listener.</summary>
    sealed class Replica : IAsyncDisposable
    {
        readonly NpgsqlDataSource _dataSource;
        readonly FeatureDatabase _database;
        readonly OnlineVectorListener _listener;

        Replica(NpgsqlDataSource dataSource)
        {
            _dataSource = dataSource;
            _database = new FeatureDatabase(dataSource);
            Cache = new OnlineFeatureCache(new FeatureStore(_database), Options.Create(new FeatureDefinitions()), Options.Create(new OnlineCacheOptions()), Options.Create(new Microsoft.AspNetCore.Http.Json.JsonOptions()));
            _listener = new OnlineVectorListener(_database, Cache, NullLogger<OnlineVectorListener>.Instance);
        }

        public OnlineFeatureCache Cache { get; }

        public static async Task<Replica> StartAsync(string connectionString, string name)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = name };
            var replica = new Replica(NpgsqlDataSource.Create(builder.ConnectionString));
            await replica._listener.StartAsync(CancellationToken.None);
            await Eventually.WaitUntilAsync(() => Task.FromResult(replica.Cache.Listening), $"{name} listens", TimeSpan.FromSeconds(30));
            return replica;
        }

        public ValueTask<StoredVector?> ReadAsync(string entityId) => Cache.GetAsync(SetVersion, entityId, CancellationToken.None);

        public async Task WriteAsync(string entityId, double heartRate, bool commit)
        {
            await using var connection = await _database.OpenConnectionAsync(CancellationToken.None);
            await using var transaction = await connection.BeginTransactionAsync();
            var now = DateTimeOffset.UtcNow;
            await FeatureStore.SaveVectorsAsync(connection, transaction,
                [new StoredVector(entityId, SetVersion, now, now, new Dictionary<string, double?> { ["heart_rate_last"] = heartRate }, null)], "stream", CancellationToken.None);
            if (commit)
            {
                await transaction.CommitAsync();
            }
            else
            {
                await transaction.RollbackAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _listener.StopAsync(CancellationToken.None);
            _listener.Dispose();
            await _dataSource.DisposeAsync();
        }
    }
}
