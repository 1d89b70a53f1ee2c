using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Inference.Batch;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Inference.Tests.Batch;

/// <summary>
/// Cancelling a batch job: the workers skip its chunks not yet scored, the rows already written stay readable, and
/// the job never becomes succeeded; cancelling a finished job is a 409 naming its state, an unknown one a 404.
/// </summary>
[Collection(BatchDatasetCollection.Name)]
public sealed class BatchCancelTests(BatchDatasetFixture fixture)
{
    const int Times = 200;

    [Fact]
    public async Task Cancel_RunningJob_SkipsItsRemainingChunksAndKeepsTheRowsWritten()
    {
        var times = Enumerable.Range(0, Times).Select(k => fixture.Start.AddHours(3).AddSeconds(10 * k).ToString("O", CultureInfo.InvariantCulture)).ToArray();
        var job = await fixture.Client.StartAsync(new { model = "deterioration", version = "1", datasetVersion = fixture.DatasetVersion, times });
        var expected = BatchDatasetFixture.Patients * Times;
        await Eventually.WaitUntilAsync(async () => (await fixture.Client.JobAsync(job.Id)).Rows > 0, "the job wrote rows");

        using var response = await fixture.Client.PostAsync($"/api/inference/batch-jobs/{job.Id}/cancel", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var cancelled = JsonSerializer.Deserialize<BatchJobsApi.BatchJobResponse>(body, BatchJobClient.Json)!;
        Assert.Equal(BatchJobStates.Cancelled, cancelled.State);
        Assert.NotNull(cancelled.FinishedAt);
        Assert.True(cancelled.Rows < expected, $"the job finished before the cancel ({cancelled.Rows} rows); it must be larger for this test");

        // Every chunk record has reached a worker (each counts an attempt first), so none is still to be scored...
        await Eventually.WaitUntilAsync(async () => await UnattemptedChunksAsync(job.Id) == 0, "every chunk of the cancelled job reached a worker");
        var after = await fixture.Client.JobAsync(job.Id);
        Assert.Equal(BatchJobStates.Cancelled, after.State);
        Assert.True(after.Chunks.Done < after.Chunks.Total, $"{after.Chunks.Done} of {after.Chunks.Total} chunks done: a cancelled job's chunks were all scored");
        Assert.True(after.Rows < expected);

        // ...and the rows written before the cancel are still there, once each.
        var rows = await fixture.Client.NdjsonAsync(job.Id);
        Assert.True(rows.Count >= cancelled.Rows, $"{rows.Count} rows after the cancel, {cancelled.Rows} at it");
        Assert.Equal(rows.Count, rows.Select(r => (r.EntityId, r.Time)).Distinct().Count());
        Assert.All(rows, r => Assert.NotNull(r.Probability));
    }

    [Fact]
    public async Task Cancel_FinishedJob_Is409ProblemNamingItsState_AndUnknownJobIs404()
    {
        var started = await fixture.Client.StartAsync(new { model = "deterioration", version = "1", datasetVersion = fixture.DatasetVersion, times = new[] { fixture.Start.AddMinutes(30).ToString("O", CultureInfo.InvariantCulture) } });
        var job = await fixture.Client.FinishedAsync(started.Id);

        using (var response = await fixture.Client.PostAsync($"/api/inference/batch-jobs/{job.Id}/cancel", null))
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.StatusCode == HttpStatusCode.Conflict, problem.ToString());
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(BatchJobStates.Succeeded, problem.GetProperty("state").GetString());
            Assert.Contains("succeeded", problem.GetProperty("detail").GetString());
        }

        Assert.Equal(BatchJobStates.Succeeded, (await fixture.Client.JobAsync(job.Id)).State);
        Assert.Equal(BatchDatasetFixture.Patients, (await fixture.Client.NdjsonAsync(job.Id)).Count);

        using (var response = await fixture.Client.PostAsync("/api/inference/batch-jobs/batch-nosuchjob/cancel", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    static async Task<long> UnattemptedChunksAsync(string jobId)
    {
        await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("inference"));
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM batch_chunks WHERE job_id = $1 AND attempts = 0");
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
