using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Contracts.Features;
using Mlops.Features.Computation;
using Mlops.Features.Storage;
using Mlops.Features.TrainingSets;

namespace Mlops.Features.Tests.TrainingSets;

/// <summary>Training sets and backfills over an immutable dataset version of ingestion's raw store.</summary>
[Collection(FeaturesCollection.Name)]
public sealed class DatasetVersionTrainingSetTests(FeaturesServiceFixture service)
{
    [Fact]
    public async Task TrainingSetAndBackfill_OverADatasetVersion_UseExactlyThatSnapshotOfTheRawStore()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var entity = $"ds-{run}";
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using var ingestion = new HttpClient { BaseAddress = service.Ingestion.BaseAddress };

        async Task Observe(string code, double value, string unit, double hoursAgo) =>
            Assert.Equal(HttpStatusCode.Accepted, (await ingestion.PostAsJsonAsync("api/ingestion/observations", new
            {
                observationId = $"{code}-{hoursAgo}-{run}", entityId = entity, code, value, unit, eventTime = now.AddHours(-hoursAgo), sourceSystem = "ward",
            })).StatusCode);

        await Observe("lactate", 1.4, "mmol/L", 6);
        await Observe("heart_rate", 88, "/min", 5);
        var http = service.CreateClient();
        var label = new LabelRecorded { LabelId = $"l-{run}", EntityId = entity, Name = $"deteriorated-{run}", Value = 0, EventTime = now.AddMinutes(1) };
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("api/features/labels", label)).StatusCode);
        var created = await ingestion.PostAsJsonAsync("api/ingestion/datasets", new { codes = new[] { "lactate", "heart_rate" } });
        var version = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString()!;
        await Observe("lactate", 4.9, "mmol/L", 4); // arrives after the snapshot: never part of it
        // Recorded after the snapshot too: the dataset version's training set never has it.
        var late = label with { LabelId = $"l2-{run}", Value = 1, EventTime = now.AddMinutes(2) };
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("api/features/labels", late)).StatusCode);

        var response = await http.PostAsJsonAsync("api/features/training-sets", new { labelName = label.Name, datasetVersion = version });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        var row = Assert.Single(body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize<TrainingRow>(l, FeatureStore.Json)!));
        Assert.Equal(label.LabelId, row.LabelId);
        Assert.Equal(1.4, row.Features["lactate_last_24h"]);
        Assert.Equal(88, row.Features["heart_rate_last_24h"]);
        Assert.Equal("dataset", response.Headers.GetValues("X-Training-Set-Source").Single());
        Assert.Equal(version, response.Headers.GetValues("X-Dataset-Version").Single());
        Assert.Equal("2", response.Headers.GetValues("X-Dataset-Observations").Single());

        // The same request later gives the same bytes; a new snapshot sees the late observation and label.
        var again = await http.PostAsJsonAsync("api/features/training-sets", new { labelName = label.Name, datasetVersion = version });
        Assert.Equal(body, await again.Content.ReadAsStringAsync());
        var newer = await ingestion.PostAsJsonAsync("api/ingestion/datasets", new { codes = new[] { "lactate", "heart_rate" } });
        var newerVersion = (await newer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString()!;
        var newerRows = (await (await http.PostAsJsonAsync("api/features/training-sets", new { labelName = label.Name, datasetVersion = newerVersion }))
            .Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<TrainingRow>(l, FeatureStore.Json)!).ToList();
        Assert.Equal([label.LabelId, late.LabelId], newerRows.Select(r => r.LabelId));
        Assert.Equal(4.9, newerRows[1].Features["lactate_last_24h"]);

        // Backfill from the same snapshot equals the calculator over the snapshot's rows.
        var backfill = (Backfill)service.Services.GetService(typeof(Backfill))!;
        var vectors = new List<StoredVector>();
        await foreach (var vector in backfill.ComputeFromDatasetAsync(version, null, CancellationToken.None))
        {
            vectors.Add(vector);
        }

        var backfilled = Assert.Single(vectors, v => v.EntityId == entity);
        ObservationPoint[] snapshot =
        [
            new($"lactate-6-{run}", "lactate", 1.4, now.AddHours(-6), now),
            new($"heart_rate-5-{run}", "heart_rate", 88, now.AddHours(-5), now),
        ];
        var expected = FeatureCalculator.Compute(Definitions.Shipped(), snapshot, now.AddHours(-5));
        Assert.Equal(expected.OrderBy(kv => kv.Key), backfilled.Values.OrderBy(kv => kv.Key));
    }

    [Fact]
    public async Task TrainingSet_OverAScopedVersion_TakesOnlyItsEntitiesAndTheLabelsInsideItsRange()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var (inside, elsewhere) = ($"scoped-{run}-a", $"scoped-{run}-b");
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using var ingestion = new HttpClient { BaseAddress = service.Ingestion.BaseAddress };

        async Task Observe(string entity, string source, double value, double hoursAgo) =>
            Assert.Equal(HttpStatusCode.Accepted, (await ingestion.PostAsJsonAsync("api/ingestion/observations", new
            {
                // Known when it happened (availableTime), as history loaded with its source's times; a code no other test here uses.
                observationId = $"cr-{entity}-{hoursAgo}", entityId = entity, code = "creatinine", value, unit = "umol/L", eventTime = now.AddHours(-hoursAgo),
                availableTime = now.AddHours(-hoursAgo), sourceSystem = source,
            })).StatusCode);

        await Observe(inside, $"ward-{run}", 70, 9);  // before the range: not in the version
        await Observe(inside, $"ward-{run}", 95, 3);
        await Observe(elsewhere, $"lab-{run}", 120, 3); // another source: its entity is outside the version
        var http = service.CreateClient();
        var name = $"scoped-{run}";
        foreach (var (id, entity, hoursAgo) in new[] { ("early", inside, 8.0), ("kept", inside, 2.0), ("other", elsewhere, 2.0), ("after", inside, 0.5) })
        {
            var label = new LabelRecorded { LabelId = $"{id}-{run}", EntityId = entity, Name = name, Value = 1, EventTime = now.AddHours(-hoursAgo) };
            Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("api/features/labels", label)).StatusCode);
        }

        var created = await ingestion.PostAsJsonAsync("api/ingestion/datasets", new { sources = new[] { $"ward-{run}" }, since = now.AddHours(-6), until = now.AddHours(-1) });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var version = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString()!;

        var response = await http.PostAsJsonAsync("api/features/training-sets", new { labelName = name, datasetVersion = version });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize<TrainingRow>(l, FeatureStore.Json)!).ToList();

        // Only the label inside [since, until) of the entity the version holds; its features from the version's rows only.
        var row = Assert.Single(rows);
        Assert.Equal($"kept-{run}", row.LabelId);
        Assert.Equal(95, row.Features["creatinine_last_24h"]);
        Assert.Null(row.Features["creatinine_slope_24h"]); // one point: the 70 before the range is not in the version

        // Batch vectors at the version's label times take the same labels.
        var vectors = await http.PostAsJsonAsync($"api/features/datasets/{Uri.EscapeDataString(version)}/vectors", new { entityIds = new[] { inside, elsewhere }, labelName = name });
        Assert.Equal(HttpStatusCode.OK, vectors.StatusCode);
        var vectorRows = (await vectors.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"kept-{run}", Assert.Single(vectorRows), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainingSet_MoreLabelledEntitiesThanOneRequestToIngestion_EveryRowHasItsOwnEntitysFeatures()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var labelTime = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-2).ToUnixTimeSeconds());
        using var ingestion = new HttpClient { BaseAddress = service.Ingestion.BaseAddress };
        // 1,150 entities observed (50 of them never labelled), 1,100 labelled plus 20 labelled but never observed:
        // more than one page of entities (500) asked of ingestion, pages ending between entities of both kinds.
        var observed = Enumerable.Range(0, 1150).Select(i => $"pg-{run}-{i:D4}").ToList();
        var batch = observed.Select((e, i) => new
        {
            observationId = $"hr-{e}", entityId = e, code = "heart_rate", value = 40 + i % 200, unit = "/min", eventTime = labelTime.AddHours(-1),
            availableTime = labelTime.AddHours(-1), sourceSystem = "ward",
        }).ToList();
        var loaded = await ingestion.PostAsJsonAsync("api/ingestion/observations/batch", batch);
        Assert.Equal(batch.Count, (await loaded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
        var http = service.CreateClient();
        var labelName = $"paged-{run}";
        var labelled = observed.Where((_, i) => i % 23 != 5).Take(1100).Concat(Enumerable.Range(0, 20).Select(i => $"pg-{run}-{i:D4}-unseen")).ToList();
        foreach (var entity in labelled)
        {
            var label = new LabelRecorded { LabelId = $"l-{entity}", EntityId = entity, Name = labelName, Value = 0, EventTime = labelTime };
            Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("api/features/labels", label)).StatusCode);
        }

        var created = await ingestion.PostAsJsonAsync("api/ingestion/datasets", new { codes = new[] { "heart_rate" } });
        var version = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString()!;
        var response = await http.PostAsJsonAsync("api/features/training-sets", new { labelName, datasetVersion = version });
        var rows = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize<TrainingRow>(l, FeatureStore.Json)!).ToList();

        Assert.Equal(labelled.Order(StringComparer.Ordinal), rows.Select(r => r.EntityId));
        Assert.All(rows, r => Assert.Equal(
            r.EntityId.EndsWith("-unseen", StringComparison.Ordinal) ? null : 40 + observed.IndexOf(r.EntityId) % 200,
            r.Features["heart_rate_last_24h"]));
    }

    [Fact]
    public async Task TrainingSet_LabelsFrom_OnlyLabelsAtOrAfterItFromTheDatasetAndTheStore_AndTheWindowEchoed()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using var ingestion = new HttpClient { BaseAddress = service.Ingestion.BaseAddress };
        var http = service.CreateClient();
        var labelName = $"window-{run}";
        // Three labels 30, 10 and 2 days old, each with a temperature an hour before it.
        foreach (var days in new[] { 30, 10, 2 })
        {
            var entity = $"win-{run}-{days}";
            Assert.Equal(HttpStatusCode.Accepted, (await ingestion.PostAsJsonAsync("api/ingestion/observations", new
            {
                observationId = $"t-{entity}", entityId = entity, code = "temperature", value = 36 + days / 10.0, unit = "Cel", eventTime = now.AddDays(-days).AddHours(-1),
                availableTime = now.AddDays(-days).AddHours(-1), sourceSystem = "ward",
            })).StatusCode);
            var label = new LabelRecorded { LabelId = $"l-{entity}", EntityId = entity, Name = labelName, Value = days % 2, EventTime = now.AddDays(-days) };
            Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("api/features/labels", label)).StatusCode);
        }

        // A code no other test here snapshots, so their datasets' observation counts stay theirs.
        var created = await ingestion.PostAsJsonAsync("api/ingestion/datasets", new { codes = new[] { "temperature" } });
        var version = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString()!;
        // The window starts exactly at the 10-day label: it is in (at or after), the 30-day one is not.
        var from = now.AddDays(-10);

        var dataset = await http.PostAsJsonAsync("api/features/training-sets", new { labelName, datasetVersion = version, labelsFrom = from });
        var all = await http.PostAsJsonAsync("api/features/training-sets", new { labelName, datasetVersion = version });

        Assert.Equal([$"l-win-{run}-10", $"l-win-{run}-2"], (await RowsAsync(dataset)).Select(r => r.LabelId).Order(StringComparer.Ordinal));
        Assert.Equal(from, DateTimeOffset.Parse(dataset.Headers.GetValues("X-Labels-From").Single(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3, (await RowsAsync(all)).Count);
        Assert.False(all.Headers.Contains("X-Labels-From"));
        // The bitemporal store honours the window too (no dataset version).
        var store = await http.PostAsJsonAsync("api/features/training-sets", new { labelName, labelsFrom = from });
        Assert.Equal([$"l-win-{run}-10", $"l-win-{run}-2"], (await RowsAsync(store)).Select(r => r.LabelId).Order(StringComparer.Ordinal));
    }

    static async Task<List<TrainingRow>> RowsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize<TrainingRow>(l, FeatureStore.Json)!).ToList();
    }

    [Fact]
    public async Task TrainingSet_UnknownDatasetVersion_Is404ProblemDetails()
    {
        var response = await service.CreateClient().PostAsJsonAsync("api/features/training-sets", new { labelName = "any", datasetVersion = "sha256:nope" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no dataset version 'sha256:nope' in ingestion", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
