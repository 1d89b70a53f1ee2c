using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Features;
using Mlops.Contracts.Ingestion;
using Mlops.Features.Storage;
using Mlops.Features.TrainingSets;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Features.Tests.Streaming;

[Collection(FeaturesCollection.Name)]
public sealed class StreamingComputationTests(FeaturesServiceFixture service)
{
    static readonly DateTimeOffset Base = DateTimeOffset.UtcNow.AddHours(-20);
    static readonly string[] Codes = ["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp", "consciousness", "lactate"];

    static List<ObservationAccepted> Series(string entity, string prefix, int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => new ObservationAccepted
        {
            ObservationId = $"{prefix}-{i}",
            EntityId = entity,
            EntityType = "patient",
            Code = Codes[i % Codes.Length],
            Value = Codes[i % Codes.Length] == "consciousness" ? random.Next(0, 2) : 30 + random.NextDouble() * 70,
            Unit = "x",
            EventTime = Base.AddMinutes(i * 7),
            RecordedAt = Base.AddMinutes(i * 7 + 1),
            SourceSystem = "test",
            Sequence = i,
        }).ToList();
    }

    [Fact]
    public async Task OutOfOrderStream_GivesTheSameLatestVectorAsInOrder_AndBackfillEqualsStreaming()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var inOrder = Series($"ordered-{run}", $"a{run}", 120, seed: 3);
        var shuffled = Series($"shuffled-{run}", $"b{run}", 120, seed: 3).OrderBy(_ => Random.Shared.Next()).ToList();
        foreach (var observation in inOrder)
        {
            await service.PublishAsync(observation);
        }

        foreach (var observation in shuffled)
        {
            await service.PublishAsync(observation);
        }

        var http = service.CreateClient();
        await using var db = service.CreateDataSource();
        await Eventually.WaitUntilAsync(async () => await AppliedAsync(db, inOrder[0].EntityId) == 120 && await AppliedAsync(db, shuffled[0].EntityId) == 120,
            "both streams were fully applied");

        var ordered = await http.GetFromJsonAsync<StoredVector>($"/api/features/online/{inOrder[0].EntityId}", FeatureStore.Json);
        var unordered = await http.GetFromJsonAsync<StoredVector>($"/api/features/online/{shuffled[0].EntityId}", FeatureStore.Json);
        Assert.NotNull(ordered);
        Assert.NotNull(unordered);
        Assert.Equal(ordered.EventTime, unordered.EventTime);
        Assert.Equal(ordered.Values.OrderBy(kv => kv.Key), unordered.Values.OrderBy(kv => kv.Key));
        Assert.NotNull(ordered.Values["news2"]);

        var backfilled = new Dictionary<string, StoredVector>();
        await foreach (var vector in service.Services.GetRequiredService<Backfill>().ComputeAsync(null, CancellationToken.None))
        {
            backfilled[vector.EntityId] = vector;
        }

        Assert.Equal(ordered.Values.OrderBy(kv => kv.Key), backfilled[ordered.EntityId].Values.OrderBy(kv => kv.Key));
        Assert.Equal(unordered.Values.OrderBy(kv => kv.Key), backfilled[unordered.EntityId].Values.OrderBy(kv => kv.Key));
    }

    [Fact]
    public async Task OnlineStore_UnknownEntity_Is404ProblemDetails()
    {
        var response = await service.CreateClient().GetAsync("/api/features/online/nobody-" + Guid.NewGuid().ToString("N"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no feature vector for entity", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainingSet_NeverSeesFutureOrLaterRecordedObservations()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var entity = $"pit-{run}";
        // Whole seconds: PostgreSQL keeps microseconds, .NET ticks are finer.
        var labelTime = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-5).ToUnixTimeSeconds());
        ObservationAccepted Obs(string id, string code, double value, DateTimeOffset eventTime, DateTimeOffset recordedAt) => new()
        {
            ObservationId = $"{id}-{run}", EntityId = entity, EntityType = "patient", Code = code, Value = value, Unit = "x",
            EventTime = eventTime, RecordedAt = recordedAt, SourceSystem = "test", Sequence = 0,
        };

        var known = Obs("known", "lactate", 1.2, labelTime.AddHours(-3), labelTime.AddHours(-3));
        var lateRecorded = Obs("late", "lactate", 7.5, labelTime.AddHours(-1), labelTime.AddHours(2)); // measured before, known after
        var future = Obs("future", "lactate", 9.9, labelTime.AddHours(1), labelTime.AddHours(1));
        foreach (var observation in new[] { known, lateRecorded, future })
        {
            await service.PublishAsync(observation);
        }

        var http = service.CreateClient();
        var label = new LabelRecorded { LabelId = $"label-{run}", EntityId = entity, Name = $"deterioration-{run}", Value = 1, EventTime = labelTime };
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("/api/features/labels", label)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/api/features/labels", label)).StatusCode);

        await using var db = service.CreateDataSource();
        await Eventually.WaitUntilAsync(async () => await AppliedAsync(db, entity) == 3, "the observations were applied");

        var response = await http.PostAsJsonAsync("/api/features/training-sets", new { labelName = label.Name });
        var rows = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonSerializer.Deserialize<TrainingRow>(l, FeatureStore.Json)!).ToList();

        var row = Assert.Single(rows);
        Assert.Equal(1, row.Label);
        Assert.Equal(labelTime, row.LabelTime);
        Assert.Equal(1.2, row.Features["lactate_last_24h"]);
        Assert.Equal(1.2, row.Features["lactate_max_24h"]);
        Assert.Equal(3, row.Features["lactate_time_since_last_24h"]!.Value, precision: 6);

        // The online vector, by contrast, knows everything that has arrived.
        var online = await http.GetFromJsonAsync<StoredVector>($"/api/features/online/{entity}", FeatureStore.Json);
        Assert.Equal(9.9, online!.Values["lactate_last_24h"]);
    }

    static async Task<long> AppliedAsync(NpgsqlDataSource db, string entity)
    {
        // Applied = stored in the bitemporal base and reflected in the online vector of the same transaction.
        await using var command = db.CreateCommand("SELECT count(*) FROM feature_observations f JOIN online_vectors v USING (entity_id) WHERE f.entity_id = $1 AND f.event_time <= v.event_time");
        command.Parameters.Add(new NpgsqlParameter { Value = entity });
        try
        {
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }
}
