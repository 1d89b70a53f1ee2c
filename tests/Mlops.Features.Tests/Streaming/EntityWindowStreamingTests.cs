using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Ingestion;
using Mlops.Features.Computation;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Features.Tests.Streaming;

/// <summary>
/// The streaming computation with its entity windows held between batches (as shipped): after the first batch the
/// entity's window comes from memory, and every vector still equals the one computed from the stored observations —
/// with a newer observation, a late one inside the horizon, one far behind it, and a repeated id carrying another value.
/// </summary>
[Collection(FeaturesCollection.Name)]
public sealed class EntityWindowStreamingTests(FeaturesServiceFixture service)
{
    [Fact]
    public async Task HeldWindows_NewLateAndRepeatedObservations_GiveTheVectorTheStoredObservationsGive()
    {
        var entity = PlatformInfrastructure.UniqueName("window");
        // Whole seconds: the store keeps microseconds, and the waits compare stored times with these.
        var t0 = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-3).ToUnixTimeSeconds());
        var first = Enumerable.Range(0, 10).Select(i => Observation(entity, $"{entity}-{i}", "heart_rate", 80 + i, t0.AddMinutes(10 * i))).ToList();
        foreach (var observation in first)
        {
            await service.PublishAsync(observation);
        }

        await using var db = service.CreateDataSource();
        await Eventually.WaitUntilAsync(async () => await StoredAsync(db, entity) == 10 && await OnlineEventTimeAsync(entity) == first[^1].EventTime.UtcDateTime,
            "the first ten applied");
        var cache = service.Services.GetRequiredService<EntityWindowCache>();
        Assert.True(cache.Holds(entity), "the entity's window is held after its batch committed");

        DateTimeOffset newest = t0.AddMinutes(120);
        // One partition (keyed by entity) keeps this order: once the newest is applied, the others were too.
        ObservationAccepted[] second =
        [
            // The id of a stored observation with another value: the store keeps the first, so must the window.
            Observation(entity, $"{entity}-3", "heart_rate", 999, t0.AddMinutes(30)),
            Observation(entity, $"{entity}-late", "respiratory_rate", 27, t0.AddMinutes(35)),
            Observation(entity, $"{entity}-ancient", "heart_rate", 40, t0.AddDays(-3)),
            Observation(entity, $"{entity}-new", "heart_rate", 131, newest),
        ];
        foreach (var observation in second)
        {
            // The repeat comes under an event id of its own, so the inbox does not stop it: the store must.
            var envelope = FeaturesServiceFixture.Envelope(observation);
            await service.Services.GetRequiredService<IEventProducer>().ProduceEnvelopeAsync(
                service.ObservationsTopic, observation.Value == 999 ? envelope with { Id = observation.ObservationId + "-again" } : envelope);
        }

        await Eventually.WaitUntilAsync(async () => await StoredAsync(db, entity) == 13 && await OnlineEventTimeAsync(entity) == newest.UtcDateTime,
            "the second wave applied");

        var catalog = service.Services.GetRequiredService<FeatureSetCatalog>();
        var set = catalog.Active.Single(s => s.Version == service.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<FeatureDefinitions>>().Value.Version);
        await using var connection = await db.OpenConnectionAsync();
        var stored = (await FeatureStore.LoadEntityWindowsAsync(connection, null, [entity], catalog.Active.Max(s => s.Horizon), CancellationToken.None))[entity];
        var expected = FeatureCalculator.Compute(set, stored, stored.Max(p => p.EventTime));
        var online = await service.CreateClient().GetFromJsonAsync<StoredVector>($"/api/features/online/{entity}", FeatureStore.Json);

        Assert.Equal(expected.OrderBy(kv => kv.Key), online!.Values.OrderBy(kv => kv.Key));
        Assert.Equal(80 + 3, stored.Single(p => p.ObservationId == $"{entity}-3").Value);
        Assert.DoesNotContain(stored, p => p.ObservationId == $"{entity}-ancient");
        Assert.Equal(131, online.Values["heart_rate_last_1h"]);
    }

    static ObservationAccepted Observation(string entity, string id, string code, double value, DateTimeOffset at) => new()
    {
        ObservationId = id,
        EntityId = entity,
        EntityType = "patient",
        Code = code,
        Value = value,
        Unit = "x",
        EventTime = at,
        RecordedAt = at.AddMinutes(1),
        SourceSystem = "test",
        Sequence = 0,
    };

    static async Task<long> StoredAsync(NpgsqlDataSource db, string entity)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM feature_observations WHERE entity_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = entity });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    async Task<DateTime?> OnlineEventTimeAsync(string entity)
    {
        using var response = await service.CreateClient().GetAsync($"/api/features/online/{entity}");
        return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<StoredVector>(FeatureStore.Json))!.EventTime.UtcDateTime : null;
    }
}
