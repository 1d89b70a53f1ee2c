using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Contracts.Features;
using Mlops.Features.Storage;
using Mlops.Features.TrainingSets;

namespace Mlops.Features.Tests.TrainingSets;

/// <summary>
/// Scoring rows over a dataset version (batch inference's input): the version's entities, and vectors at label times
/// equal to the training set's rows over the same version; at given times, only the snapshot's observations count.
/// </summary>
[Collection(FeaturesCollection.Name)]
public sealed class DatasetVectorsTests(FeaturesServiceFixture service)
{
    [Fact]
    public async Task Vectors_AtLabelTimes_EqualTheTrainingSetOverTheSameVersion_AndAtTimesSeeOnlyTheSnapshot()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var entity = $"dv-{run}";
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
        await Observe("lactate", 4.9, "mmol/L", 4); // after the snapshot: never part of it

        var entities = (await (await http.GetAsync($"api/features/datasets/{version}/entities")).Content.ReadAsStringAsync())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<string>(l)!).ToList();
        Assert.Contains(entity, entities);
        Assert.Equal(entities.Order(StringComparer.Ordinal), entities);

        var training = Assert.Single(await RowsAsync<TrainingRow>(http, "api/features/training-sets", new { labelName = label.Name, datasetVersion = version }));
        var atLabel = Assert.Single(await RowsAsync<DatasetVectorRow>(http, $"api/features/datasets/{version}/vectors", new { entityIds = new[] { entity }, labelName = label.Name }));
        Assert.Equal(label.LabelId, atLabel.LabelId);
        Assert.Equal(label.EventTime, atLabel.Time);
        Assert.Equal(training.Features.OrderBy(f => f.Key), atLabel.Features.OrderBy(f => f.Key));

        var atTimes = await RowsAsync<DatasetVectorRow>(http, $"api/features/datasets/{version}/vectors",
            new { entityIds = new[] { entity, $"absent-{run}" }, times = new[] { now.AddHours(-5.5), now.AddMinutes(1) }, featureNames = new[] { "lactate_last_24h", "heart_rate_last_24h" } });
        Assert.Equal(4, atTimes.Count);
        var early = atTimes.Single(r => r.EntityId == entity && r.Time == now.AddHours(-5.5));
        Assert.Equal(["heart_rate_last_24h", "lactate_last_24h"], early.Features.Keys.Order(StringComparer.Ordinal));
        Assert.Null(early.Features["heart_rate_last_24h"]); // measured after that time
        // Known by then, had it been in the snapshot: the late 4.9 is not.
        Assert.Equal(1.4, atTimes.Single(r => r.EntityId == entity && r.Time == now.AddMinutes(1)).Features["lactate_last_24h"]);
        Assert.All(atTimes.Where(r => r.EntityId != entity), r => Assert.Null(r.Features["lactate_last_24h"]));
    }

    [Theory]
    [InlineData("""{"times":["2026-01-01T00:00:00Z"]}""", "entityIds")]
    [InlineData("""{"entityIds":["a\u0001b"],"times":["2026-01-01T00:00:00Z"]}""", "entityIds[0]")]
    [InlineData("""{"entityIds":["a"]}""", "times")]
    [InlineData("""{"entityIds":["a"],"times":["2026-01-01T00:00:00Z"],"labelName":"l"}""", "times")]
    [InlineData("""{"entityIds":["a"],"times":["2026-01-01T00:00:00Z"],"featureNames":["no_such_feature"]}""", "featureNames")]
    public async Task Vectors_BadRequest_Is400NamingTheField(string body, string field)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await service.CreateClient().PostAsync("api/features/datasets/some-version/vectors", content);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, problem.ToString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task VectorsAndEntities_UnknownDatasetVersion_Are404()
    {
        var http = service.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/features/datasets/no-such-version/entities")).StatusCode);
        var response = await http.PostAsJsonAsync("api/features/datasets/no-such-version/vectors", new { entityIds = new[] { "a" }, times = new[] { DateTimeOffset.UtcNow } });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    static async Task<List<T>> RowsAsync<T>(HttpClient http, string path, object request)
    {
        var response = await http.PostAsJsonAsync(path, request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return [.. body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<T>(l, FeatureStore.Json)!)];
    }
}
