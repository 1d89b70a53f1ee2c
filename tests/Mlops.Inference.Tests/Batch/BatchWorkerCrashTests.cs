using System.Globalization;
using Mlops.Inference.Batch;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Inference.Tests.Batch;

/// <summary>
/// A worker killed mid-job (a real process kill): the job's remaining chunks — and the one it was scoring, whose
/// offset it never committed — are redelivered to another replica in the same consumer group, which finishes the job
/// with exactly one row per entity and time.
/// </summary>
[Collection(BatchDatasetCollection.Name)]
public sealed class BatchWorkerCrashTests(BatchDatasetFixture fixture)
{
    const int Times = 200;

    [Fact]
    public async Task BatchJob_WorkerKilledMidJob_AnotherReplicaFinishesWithExactRowsAndNoDuplicates()
    {
        var chunkTopic = PlatformInfrastructure.UniqueName("batch-chunks-test");
        var group = PlatformInfrastructure.UniqueName("batch-crash");
        await BatchDatasetFixture.EnsureTopicsAsync([chunkTopic], 3);
        var settings = fixture.InferenceSettings(chunkTopic, group);
        // The surviving replica: built now (its stand-in registry is up), started only after the kill.
        await using var survivor = new InferenceAppFactory(settings: settings);

        var environment = fixture.InferenceProcessEnvironment(chunkTopic, group, survivor.Upstream.BaseAddress);
        await using var doomed = ServiceProcess.Start("services/inference/Mlops.Inference", environment);
        await doomed.WaitUntilReadyAsync();
        using var doomedClient = new HttpClient { BaseAddress = doomed.BaseAddress };

        var times = Enumerable.Range(0, Times).Select(k => fixture.Start.AddHours(3).AddSeconds(10 * k).ToString("O", CultureInfo.InvariantCulture)).ToArray();
        var job = await doomedClient.StartAsync(new { model = "deterioration", version = "1", datasetVersion = fixture.DatasetVersion, times });
        var expected = BatchDatasetFixture.Patients * Times;

        // Killed as soon as it has written rows of the job.
        await Eventually.WaitUntilAsync(async () => (await doomedClient.JobAsync(job.Id)).Rows > 0, "the doomed worker wrote rows");
        doomed.Kill();
        await Eventually.WaitUntilAsync(() => doomed.HasExited, "the worker process exited");

        // Nothing works on the job now: what the killed worker left is read straight from the database.
        var (done, total, rows) = await ProgressInDatabaseAsync(job.Id);
        Assert.True(done < total && rows < expected, $"the job finished before the kill ({done}/{total} chunks, {rows} rows); it must be larger for this test");

        using var client = await survivor.ReadyClientAsync();
        var finished = await client.FinishedAsync(job.Id, TimeSpan.FromMinutes(3));
        Assert.Equal(total, finished.Chunks.Done);
        Assert.Equal(expected, finished.Rows);
        var results = await client.NdjsonAsync(job.Id);
        Assert.Equal(expected, results.Count);
        Assert.Equal(expected, results.Select(r => (r.EntityId, r.Time)).Distinct().Count());
        Assert.All(results, r => Assert.NotNull(r.Probability));
    }

    static async Task<(int Done, int Total, long Rows)> ProgressInDatabaseAsync(string jobId)
    {
        await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("inference"));
        await using var command = dataSource.CreateCommand(
            "SELECT chunks_done, chunks_total, (SELECT count(*) FROM batch_results WHERE job_id = $1) FROM batch_jobs WHERE job_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt64(2));
    }
}
