using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Inference.Batch;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Inference.Tests.Batch;

/// <summary>
/// The retention of finished jobs' results: the rows are readable while the job is younger than
/// <c>Inference:BatchJobs:ResultRetention</c>, then the sweeper deletes them and the job (kept, for its lineage) says
/// when; reading them is a 410. The retention is this test's own value, on a database of its own (a connection
/// setting): a short retention on the shared tests' database would delete other tests' results.
/// </summary>
[Collection(BatchDatasetCollection.Name)]
public sealed class BatchResultRetentionTests(BatchDatasetFixture fixture)
{
    static readonly TimeSpan Retention = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task FinishedJob_PastItsResultRetention_LosesItsRowsAndKeepsTheJob()
    {
        var database = await PlatformInfrastructure.CreateDatabaseAsync("batch_retention");
        var chunkTopic = PlatformInfrastructure.UniqueName("batch-chunks-test");
        await BatchDatasetFixture.EnsureTopicsAsync([chunkTopic], 3);
        var settings = fixture.InferenceSettings(chunkTopic, PlatformInfrastructure.UniqueName("batch-retention"));
        settings["ConnectionStrings:inference"] = database;
        settings["Inference:BatchJobs:ResultRetention"] = Retention.ToString("c", CultureInfo.InvariantCulture);
        await using var inference = new InferenceAppFactory(settings: settings);
        using var client = await inference.ReadyClientAsync();

        var started = await client.StartAsync(new { model = "deterioration", version = "1", datasetVersion = fixture.DatasetVersion, times = new[] { fixture.Start.AddMinutes(210).ToString("O", CultureInfo.InvariantCulture) } });
        var job = await client.FinishedAsync(started.Id);
        var rows = await client.NdjsonAsync(job.Id);
        Assert.True(DateTimeOffset.UtcNow - job.FinishedAt!.Value < Retention, "the results were read only after their retention; the test's retention is too short for this machine");
        Assert.Equal(BatchDatasetFixture.Patients, rows.Count);
        Assert.Null(job.ResultsExpiredAt);

        BatchJobsApi.BatchJobResponse expired = job;
        await Eventually.WaitUntilAsync(async () => (expired = await client.JobAsync(job.Id)).ResultsExpiredAt is not null, "the sweeper deleted the job's results", TimeSpan.FromMinutes(2));
        Assert.True(expired.ResultsExpiredAt >= job.FinishedAt + Retention, $"results deleted at {expired.ResultsExpiredAt:O}, finished at {job.FinishedAt:O}: before the retention of {Retention}");
        Assert.Equal(BatchJobStates.Succeeded, expired.State);
        Assert.Equal((job.Version, job.DatasetVersion, job.Entities, job.Chunks), (expired.Version, expired.DatasetVersion, expired.Entities, expired.Chunks));
        Assert.Equal(0, expired.Rows);
        await using (var dataSource = NpgsqlDataSource.Create(database))
        await using (var count = dataSource.CreateCommand("SELECT count(*) FROM batch_results WHERE job_id = $1"))
        {
            count.Parameters.Add(new NpgsqlParameter { Value = job.Id });
            Assert.Equal(0L, await count.ExecuteScalarAsync());
        }

        using var response = await client.GetAsync($"/api/inference/batch-jobs/{job.Id}/results?format=ndjson");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Gone, problem.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("ResultRetention", problem.GetProperty("detail").GetString());
    }
}
