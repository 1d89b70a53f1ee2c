using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Inference.Batch;
using Mlops.Testing;
using Parquet.Serialization;

namespace Mlops.Inference.Tests.Batch;

/// <summary>
/// Batch inference over a dataset version against real ingestion and features processes, Kafka and PostgreSQL: the
/// rows equal online inference for the same entity, time and version; label times come from the snapshot's labels;
/// Parquet reads back equal to NDJSON; bad requests are ProblemDetails naming the field.
/// </summary>
[Collection(BatchDatasetCollection.Name)]
public sealed class BatchJobTests(BatchDatasetFixture fixture)
{
    const double Tolerance = 1e-6;

    [Fact]
    public async Task BatchJob_OverADatasetVersion_EqualsOnlineInferenceForTheSameEntityTimeAndVersion()
    {
        var times = new[] { fixture.Start.AddMinutes(30), fixture.Start.AddMinutes(210) };
        var started = await fixture.Client.StartAsync(new { model = "deterioration", version = "1", datasetVersion = fixture.DatasetVersion, times = Iso(times) });
        Assert.Equal("1", started.Version);
        Assert.Equal(Models.Sha256Of(Models.V1), started.ArtifactSha256);
        var job = await fixture.Client.FinishedAsync(started.Id);
        Assert.Equal(BatchDatasetFixture.Patients, job.Entities);
        Assert.Equal(3, job.Chunks.Total);
        Assert.Equal(3, job.Chunks.Done);
        Assert.Equal(BatchDatasetFixture.Patients * times.Length, job.Rows);

        var rows = await fixture.Client.NdjsonAsync(job.Id);
        Assert.Equal(BatchDatasetFixture.Patients * times.Length, rows.Count);
        Assert.Equal(rows.Count, rows.Select(r => (r.EntityId, r.Time)).Distinct().Count());
        Assert.Equal(fixture.Entities.Order(StringComparer.Ordinal), rows.Select(r => r.EntityId).Distinct());
        Assert.All(rows, r => Assert.True(r.Probability is not null, $"{r.EntityId} at {r.Time:O} unscored: {r.Error}; features {JsonSerializer.Serialize(r.Features)}"));

        // The online path: the features service's own store (fed over Kafka) point in time, scored by the served model.
        foreach (var entity in fixture.Entities.Where((_, i) => i % 50 == 0 || i == BatchDatasetFixture.Patients - 1))
        {
            foreach (var time in times)
            {
                var batch = rows.Single(r => r.EntityId == entity && r.Time == time);
                var vector = await PointInTimeAsync(entity, time, time < fixture.Start.AddHours(3) ? 5 : 10);
                foreach (var feature in BatchDatasetFixture.ModelFeatures)
                {
                    Assert.Equal(vector[feature], batch.Features[feature]);
                }

                using var response = await fixture.Client.PostAsJsonAsync("/api/inference/models/deterioration/predict", new { entityId = entity, features = vector });
                var online = await response.Content.ReadFromJsonAsync<JsonElement>();
                Assert.True(response.IsSuccessStatusCode, online.ToString());
                Assert.Equal("1", online.GetProperty("modelVersion").GetString());
                var difference = Math.Abs(online.GetProperty("probability").GetDouble() - batch.Probability!.Value);
                Assert.True(difference <= Tolerance, $"{entity} at {time:O}: batch {batch.Probability} vs online {online.GetProperty("probability").GetDouble()}");
                Assert.True(Math.Abs(online.GetProperty("uncertainty").GetDouble() - batch.Uncertainty!.Value) <= Tolerance);
            }
        }
    }

    [Fact]
    public async Task BatchJob_AtLabelTimes_WithoutAVersion_ScoresEveryLabelOfTheSnapshotWithTheChampion()
    {
        var started = await fixture.Client.StartAsync(new { model = "deterioration", datasetVersion = fixture.DatasetVersion, labelTimes = true });
        Assert.Equal("1", started.Version);
        Assert.Equal(BatchDatasetFixture.LabelName, started.LabelName);
        var job = await fixture.Client.FinishedAsync(started.Id);
        Assert.Null(job.Times);
        var rows = await fixture.Client.NdjsonAsync(job.Id);
        Assert.Equal(
            fixture.Labels.Select(l => (l.EntityId, l.LabelId, l.Time)).Order(),
            rows.Select(r => (r.EntityId, r.LabelId!, r.Time)).Order());
        Assert.Equal(fixture.Labels.Count, job.Rows);
    }

    [Fact]
    public async Task BatchResults_Parquet_ReadsBackEqualToNdjson()
    {
        var times = new[] { fixture.Start.AddMinutes(30), fixture.Start.AddMinutes(200), fixture.Start.AddMinutes(239) };
        var started = await fixture.Client.StartAsync(new { model = "deterioration", version = "1", datasetVersion = fixture.DatasetVersion, times = Iso(times) });
        var job = await fixture.Client.FinishedAsync(started.Id);
        var ndjson = await fixture.Client.NdjsonAsync(job.Id);

        using var response = await fixture.Client.GetAsync($"/api/inference/batch-jobs/{job.Id}/results?format=parquet");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.apache.parquet", response.Content.Headers.ContentType?.MediaType);
        await using var file = new MemoryStream(await response.Content.ReadAsByteArrayAsync());
        var parquet = (await ParquetSerializer.DeserializeAsync<BatchParquetRow>(file)).Data.ToList();

        Assert.Equal(ndjson.Count, parquet.Count);
        Assert.Equal(BatchDatasetFixture.Patients * times.Length, parquet.Count);
        for (var i = 0; i < ndjson.Count; i++)
        {
            var expected = ndjson[i];
            var actual = parquet[i];
            Assert.Equal(expected.EntityId, actual.EntityId);
            Assert.Equal(expected.Time.UtcDateTime, DateTime.SpecifyKind(actual.Time, DateTimeKind.Utc));
            Assert.Equal(expected.LabelId, actual.LabelId);
            Assert.Equal(expected.Probability, actual.Probability);
            Assert.Equal(expected.Uncertainty, actual.Uncertainty);
            Assert.Equal(expected.Error, actual.Error);
            Assert.Equal(expected.Features, JsonSerializer.Deserialize<Dictionary<string, double?>>(actual.Features, BatchJobClient.Json));
        }
    }

    [Theory]
    [InlineData("{}", 400, "model")]
    [InlineData("""{"model":"deterioration","times":["2026-01-01T00:00:00Z"]}""", 400, "datasetVersion")]
    [InlineData("""{"model":"deterioration","datasetVersion":"x"}""", 400, "times")]
    [InlineData("""{"model":"deterioration","datasetVersion":"x","times":["2026-01-01T00:00:00Z"],"labelTimes":true}""", 400, "times")]
    [InlineData("""{"model":"deterioration","datasetVersion":"x","times":["yesterday"]}""", 400, "times[0]")]
    [InlineData("""{"model":"deterioration","datasetVersion":"x","labelName":"l","times":["2026-01-01T00:00:00Z"]}""", 400, "labelName")]
    [InlineData("""{"model":"deterioration","datasetVersion":"x","outputTopic":"no spaces","times":["2026-01-01T00:00:00Z"]}""", 400, "outputTopic")]
    [InlineData("""{"model":"deterioration","datasetVersion":"x","outputTopic":"observations.v1","times":["2026-01-01T00:00:00Z"]}""", 400, "outputTopic")]
    [InlineData("""{"model":"no-such-model","datasetVersion":"DATASET","times":["2026-01-01T00:00:00Z"]}""", 404, "model")]
    [InlineData("""{"model":"deterioration","version":"99","datasetVersion":"DATASET","times":["2026-01-01T00:00:00Z"]}""", 404, "version")]
    [InlineData("""{"model":"deterioration","datasetVersion":"no-such-dataset","times":["2026-01-01T00:00:00Z"]}""", 404, "datasetVersion")]
    public async Task BatchJob_BadRequest_IsProblemDetailsNamingTheField(string body, int status, string field)
    {
        using var content = new StringContent(body.Replace("DATASET", fixture.DatasetVersion), System.Text.Encoding.UTF8, "application/json");
        using var response = await fixture.Client.PostAsync("/api/inference/batch-jobs", content);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True((int)response.StatusCode == status, $"{(int)response.StatusCode}: {problem}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task BatchJob_UnknownJobOrFormat_IsProblemDetails()
    {
        using (var response = await fixture.Client.GetAsync("/api/inference/batch-jobs/batch-nosuchjob"))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using (var response = await fixture.Client.GetAsync("/api/inference/batch-jobs/batch-nosuchjob/results?format=csv"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("format", out _));
        }

        using (var response = await fixture.Client.GetAsync("/api/inference/batch-jobs/batch-nosuchjob/results"))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    /// <summary>The features service's own point-in-time vector, once its store holds the entity's observations up to then.</summary>
    async Task<Dictionary<string, double?>> PointInTimeAsync(string entity, DateTimeOffset time, int observations)
    {
        Dictionary<string, double?> values = [];
        await Eventually.WaitUntilAsync(async () =>
        {
            var at = Uri.EscapeDataString(time.ToString("O", CultureInfo.InvariantCulture));
            var vector = await fixture.FeaturesClient.GetFromJsonAsync<JsonElement>($"api/features/point-in-time/{entity}?asOf={at}");
            values = vector.GetProperty("values").Deserialize<Dictionary<string, double?>>()!;
            return vector.GetProperty("observations").GetArrayLength() == observations;
        }, $"the features service's store holds {entity}'s observations");
        return values;
    }

    static string[] Iso(IEnumerable<DateTimeOffset> times) => [.. times.Select(t => t.ToString("O", CultureInfo.InvariantCulture))];
}
