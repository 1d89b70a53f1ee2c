using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Contracts.Features;
using Mlops.Contracts.Ingestion;
using Mlops.Features.Storage;
using Mlops.Features.TrainingSets;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Features.Tests.TrainingSets;

/// <summary>
/// History loaded today trains: a row sees what the source had made available by the label time (its
/// <c>availableTime</c>), not only what the platform happened to record by then — and still nothing later.
/// </summary>
[Collection(FeaturesCollection.Name)]
public sealed class AvailableTimeTrainingSetTests(FeaturesServiceFixture service)
{
    [Fact]
    public async Task TrainingSet_OwnStoreHistoryLoadedTodayWithAvailableTimes_HasFeaturesAndNoValueAvailableAfterTheLabel()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var entity = $"hist-{run}";
        // Whole seconds: PostgreSQL keeps microseconds, .NET ticks are finer.
        var labelTime = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-7).ToUnixTimeSeconds());
        var today = DateTimeOffset.UtcNow;
        ObservationAccepted Obs(string id, string code, double value, DateTimeOffset eventTime, DateTimeOffset? availableTime) => new()
        {
            ObservationId = $"{id}-{run}", EntityId = entity, EntityType = "patient", Code = code, Value = value, Unit = "x",
            EventTime = eventTime, AvailableTime = availableTime, RecordedAt = today, SourceSystem = "ehr-export", Sequence = 0,
        };

        ObservationAccepted[] history =
        [
            Obs("hr", "heart_rate", 96, labelTime.AddHours(-2), labelTime.AddHours(-2).AddMinutes(1)),
            Obs("lactate-early", "lactate", 1.8, labelTime.AddHours(-3), labelTime.AddHours(-2)),
            // Drawn before the label, resulted after it: must not leak.
            Obs("lactate-late", "lactate", 6.5, labelTime.AddHours(-1), labelTime.AddHours(2)),
            // No available time: known only from today's recording, as before.
            Obs("spo2", "spo2", 91, labelTime.AddMinutes(-30), null),
        ];
        foreach (var observation in history)
        {
            await service.PublishAsync(observation);
        }

        var http = service.CreateClient();
        var label = new LabelRecorded { LabelId = $"label-{run}", EntityId = entity, Name = $"deterioration-hist-{run}", Value = 1, EventTime = labelTime };
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("/api/features/labels", label)).StatusCode);
        await using var db = service.CreateDataSource();
        await Eventually.WaitUntilAsync(async () => await CountAsync(db, entity) == history.Length, "the history was applied");

        var response = await http.PostAsJsonAsync("/api/features/training-sets", new { labelName = label.Name });
        var row = Assert.Single(ReadRows(await response.Content.ReadAsStringAsync()));

        Assert.Equal(96, row.Features["heart_rate_last_6h"]);
        Assert.Equal(1.8, row.Features["lactate_last_24h"]);
        Assert.Equal(1.8, row.Features["lactate_max_24h"]);
        Assert.Null(row.Features["spo2_last_1h"]);
    }

    [Fact]
    public async Task TrainingSet_OverADatasetVersionOf300PatientsLoadedTodayWithAvailableTimes_HasEveryFeaturePresent()
    {
        const int Patients = 300;
        var run = Guid.NewGuid().ToString("N")[..6];
        var labelTime = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-7).ToUnixTimeSeconds());
        using var ingestion = new HttpClient { BaseAddress = service.Ingestion.BaseAddress };

        object Observation(string entity, string code, double value, string unit, DateTimeOffset eventTime, DateTimeOffset? availableTime) => availableTime is null
            ? new { observationId = $"{code}-{eventTime.ToUnixTimeSeconds()}-{entity}", entityId = entity, code, value, unit, eventTime, sourceSystem = "ehr-export" }
            : new { observationId = $"{code}-{eventTime.ToUnixTimeSeconds()}-{entity}", entityId = entity, code, value, unit, eventTime, availableTime, sourceSystem = "ehr-export" };

        List<object> History(string entity, int p, bool withAvailableTimes) =>
        [
            Observation(entity, "heart_rate", 70 + p % 50, "/min", labelTime.AddMinutes(-90), withAvailableTimes ? labelTime.AddMinutes(-89) : null),
            Observation(entity, "respiratory_rate", 18, "/min", labelTime.AddMinutes(-90), withAvailableTimes ? labelTime.AddMinutes(-89) : null),
            Observation(entity, "lactate", 1.5, "mmol/L", labelTime.AddHours(-3), withAvailableTimes ? labelTime.AddHours(-2) : null),
            // Drawn an hour before the label, resulted three hours after it.
            Observation(entity, "lactate", 7.0, "mmol/L", labelTime.AddHours(-1), withAvailableTimes ? labelTime.AddHours(3) : null),
        ];

        var entities = Enumerable.Range(0, Patients).Select(p => $"week-{run}-{p:D3}").ToList();
        var control = $"week-{run}-nat"; // the same history without available times
        var batch = entities.SelectMany((e, p) => History(e, p, withAvailableTimes: true)).Concat(History(control, 0, withAvailableTimes: false)).ToList();
        var loaded = await ingestion.PostAsJsonAsync("api/ingestion/observations/batch", batch);
        Assert.Equal(HttpStatusCode.OK, loaded.StatusCode);
        Assert.Equal(batch.Count, (await loaded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
        var http = service.CreateClient();
        var labelName = $"deteriorated-week-{run}";
        foreach (var entity in entities.Append(control))
        {
            var label = new LabelRecorded { LabelId = $"l-{entity}", EntityId = entity, Name = labelName, Value = 0, EventTime = labelTime };
            Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("api/features/labels", label)).StatusCode);
        }

        // After the outcomes: a dataset version's training set holds the labels recorded by its snapshot.
        var created = await ingestion.PostAsJsonAsync("api/ingestion/datasets", new { codes = new[] { "heart_rate", "respiratory_rate", "lactate" } });
        var version = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString()!;

        var response = await http.PostAsJsonAsync("api/features/training-sets", new { labelName, datasetVersion = version });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = ReadRows(await response.Content.ReadAsStringAsync()).ToDictionary(r => r.EntityId);

        Assert.Equal(Patients + 1, rows.Count);
        for (var p = 0; p < Patients; p++)
        {
            var features = rows[entities[p]].Features;
            Assert.Equal(70 + p % 50, features["heart_rate_last_6h"]);
            Assert.Equal(18, features["respiratory_rate_last_6h"]);
            Assert.Equal(1.5, features["lactate_last_24h"]);
            Assert.Equal(1.5, features["lactate_max_24h"]);
            Assert.NotNull(features["news2"]);
        }

        // Without available times the platform only knows the history from today: every feature missing, as before.
        Assert.Null(rows[control].Features["heart_rate_last_6h"]);
        Assert.Null(rows[control].Features["lactate_last_24h"]);
        Assert.Null(rows[control].Features["news2"]);

        // Backfill over the same snapshot computes each entity's latest vector from everything known now.
        var vectors = new Dictionary<string, StoredVector>();
        await foreach (var vector in ((Backfill)service.Services.GetService(typeof(Backfill))!).ComputeFromDatasetAsync(version, null, CancellationToken.None))
        {
            vectors[vector.EntityId] = vector;
        }

        Assert.Equal(7.0, vectors[entities[0]].Values["lactate_last_24h"]);
        Assert.Equal(labelTime.AddHours(-1), vectors[entities[0]].EventTime);
    }

    static List<TrainingRow> ReadRows(string ndjson) =>
        ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<TrainingRow>(l, FeatureStore.Json)!).ToList();

    static async Task<long> CountAsync(NpgsqlDataSource db, string entity)
    {
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
