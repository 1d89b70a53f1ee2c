using Microsoft.Extensions.Options;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Features.Tests.Storage;

/// <summary>
/// The online cache within its size limit, on a real features database: many more entities read than fit stay within
/// the limit and are all still served (the evicted ones read through); an entity read between trims stays cached while
/// one read once is dropped; a notification for an entity nobody read takes no memory.
/// </summary>
public sealed class OnlineFeatureCacheSizeLimitTests : IAsyncLifetime
{
    const string SetVersion = "vitals-sizelimit";
    const int Entities = 1_500;
    NpgsqlDataSource _dataSource = null!;
    FeatureDatabase _database = null!;
    OnlineFeatureCache _cache = null!;

    public async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await PlatformInfrastructure.CreateDatabaseAsync("features_cache_limit"));
        _database = new FeatureDatabase(_dataSource);
        _cache = new OnlineFeatureCache(new FeatureStore(_database), Options.Create(new FeatureDefinitions()),
            Options.Create(new OnlineCacheOptions { SizeLimitMegabytes = 1 }), Options.Create(new Microsoft.AspNetCore.Http.Json.JsonOptions()));
        _cache.StartListening();

        // ~2 KB of JSON each (60 values, 20 lineage ids): 1,500 of them are three times the limit.
        await using var connection = await _database.OpenConnectionAsync(CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync();
        await FeatureStore.SaveVectorsAsync(connection, transaction, [.. Enumerable.Range(0, Entities).Select(Vector)], "stream", CancellationToken.None);
        await transaction.CommitAsync();
    }

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    [Fact]
    public async Task ManyMoreEntitiesThanFit_ReadTwice_StayWithinTheLimitAndAreAllServed()
    {
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < Entities; i++)
            {
                var vector = await _cache.GetAsync(SetVersion, Entity(i), CancellationToken.None);
                Assert.Equal(i, vector?.Values["value_0"]);
                Assert.Equal(20, vector?.ObservationIds?.Count);
                Assert.InRange(_cache.SizeBytes, 0, 1024 * 1024);
            }
        }

        Assert.InRange(_cache.Count, 50, Entities - 1);
    }

    [Fact]
    public async Task EntityReadBetweenTrims_StaysCached_WhileOneReadOnceIsDropped()
    {
        await _cache.GetAsync(SetVersion, Entity(0), CancellationToken.None);
        for (var i = 1; i < Entities; i++)
        {
            await _cache.GetAsync(SetVersion, Entity(i), CancellationToken.None);
            if (i % 10 == 0)
            {
                await _cache.GetAsync(SetVersion, Entity(0), CancellationToken.None);
            }
        }

        // A delete notifies nobody (the trigger fires on insert and update), so from here only the cache can answer.
        await using (var delete = _dataSource.CreateCommand("DELETE FROM online_vectors WHERE entity_id = ANY($1)"))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = new[] { Entity(0), Entity(1) } });
            Assert.Equal(2, await delete.ExecuteNonQueryAsync());
        }

        Assert.Equal(0, (await _cache.GetAsync(SetVersion, Entity(0), CancellationToken.None))?.Values["value_0"]);
        Assert.Null(await _cache.GetAsync(SetVersion, Entity(1), CancellationToken.None));
    }

    [Fact]
    public void Notification_ForAnEntityNobodyRead_TakesNoMemory()
    {
        _cache.Invalidate(SetVersion, Entity(7), version: 1_000_000);

        Assert.Equal(0, _cache.Count);
        Assert.Equal(0, _cache.SizeBytes);
    }

    static string Entity(int i) => $"patient-{i:D5}";

    static StoredVector Vector(int i)
    {
        var now = DateTimeOffset.UtcNow;
        var values = Enumerable.Range(0, 60).ToDictionary(k => $"value_{k}", k => (double?)(i + k));
        return new StoredVector(Entity(i), SetVersion, now, now, values, $"obs-{i}-0")
        {
            KnownAt = now,
            ObservationIds = [.. Enumerable.Range(0, 20).Select(k => $"obs-{i}-{k}")],
        };
    }
}
