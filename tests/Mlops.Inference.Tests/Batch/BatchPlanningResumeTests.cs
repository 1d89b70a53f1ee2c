using System.Globalization;
using System.Net.Http.Json;
using Mlops.Inference.Batch;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Inference.Tests.Batch;

/// <summary>
/// A planner killed mid-planning (a real process kill, after it recorded the job and before any chunk reached the
/// topic): another replica, on starting, takes the job's free planning lock and plans it to the end, and the job
/// finishes with exactly one row per entity and time. Both replicas use a database of this test's own (a connection
/// setting, as the unique topics): a resumer sharing the tests' database would otherwise pick up another test's job.
/// </summary>
[Collection(BatchDatasetCollection.Name)]
public sealed class BatchPlanningResumeTests(BatchDatasetFixture fixture)
{
    const int Times = 4;

    [Fact]
    public async Task BatchJob_PlannerKilledMidPlanning_AnotherReplicaResumesAndFinishesWithExactRowsAndNoDuplicates()
    {
        var database = await PlatformInfrastructure.CreateDatabaseAsync("batch_resume");
        var chunkTopic = PlatformInfrastructure.UniqueName("batch-chunks-test");
        var group = PlatformInfrastructure.UniqueName("batch-resume");
        await BatchDatasetFixture.EnsureTopicsAsync([chunkTopic], 3);
        var settings = fixture.InferenceSettings(chunkTopic, group);
        settings["ConnectionStrings:inference"] = database;
        // The replica that resumes: built now (its stand-in registry is up), started only after the kill.
        await using var survivor = new InferenceAppFactory(settings: settings);

        var environment = fixture.InferenceProcessEnvironment(chunkTopic, group, survivor.Upstream.BaseAddress);
        environment["ConnectionStrings__inference"] = database;
        await using var doomed = ServiceProcess.Start("services/inference/Mlops.Inference", environment);
        await doomed.WaitUntilReadyAsync();
        using var doomedClient = new HttpClient { BaseAddress = doomed.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        // Listing the jobs creates the tables, so the lock below has a table to take.
        (await doomedClient.GetAsync("/api/inference/batch-jobs")).EnsureSuccessStatusCode();

        // Holding batch_chunks in SHARE mode stops the planner exactly between recording the job and recording its
        // chunks (which come before any chunk record is produced): the kill lands mid-planning, not by luck of timing.
        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var blocker = await dataSource.OpenConnectionAsync();
        await using var block = await blocker.BeginTransactionAsync();
        await using (var lockChunks = new NpgsqlCommand("LOCK TABLE batch_chunks IN SHARE MODE", blocker, block))
        {
            await lockChunks.ExecuteNonQueryAsync();
        }

        var times = Enumerable.Range(0, Times).Select(k => fixture.Start.AddHours(3).AddMinutes(10 * k).ToString("O", CultureInfo.InvariantCulture)).ToArray();
        var creating = doomedClient.PostAsJsonAsync("/api/inference/batch-jobs", new { model = "deterioration", version = "1", datasetVersion = fixture.DatasetVersion, times });
        string jobId = "";
        await Eventually.WaitUntilAsync(async () => (jobId = await PlanningJobAsync(dataSource) ?? "").Length > 0, "the planner recorded the job");
        Assert.False(creating.IsCompleted, "the planner answered although its chunks could not be recorded");

        doomed.Kill();
        await Eventually.WaitUntilAsync(() => doomed.HasExited, "the planner process exited");
        await block.RollbackAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => creating);
        Assert.Equal(BatchJobStates.Planning, await StateAsync(dataSource, jobId));

        using var client = await survivor.ReadyClientAsync();
        var finished = await client.FinishedAsync(jobId, TimeSpan.FromMinutes(3));
        var expected = BatchDatasetFixture.Patients * Times;
        Assert.Equal(3, finished.Chunks.Total);
        Assert.Equal(3, finished.Chunks.Done);
        Assert.Equal(BatchDatasetFixture.Patients, finished.Entities);
        Assert.Equal(expected, finished.Rows);
        var results = await client.NdjsonAsync(jobId);
        Assert.Equal(expected, results.Count);
        Assert.Equal(expected, results.Select(r => (r.EntityId, r.Time)).Distinct().Count());
        Assert.Equal(fixture.Entities.Order(StringComparer.Ordinal), results.Select(r => r.EntityId).Distinct());
        Assert.All(results, r => Assert.NotNull(r.Probability));
    }

    [Fact]
    public async Task PlanningLock_HeldByOneProcess_RefusedToAnotherUntilReleased()
    {
        var database = await PlatformInfrastructure.CreateDatabaseAsync("batch_lock");
        // Two stores on two data sources: two sessions, as two replicas are.
        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var otherSource = NpgsqlDataSource.Create(database);
        var first = new BatchJobStore(new BatchJobDatabase(dataSource), TimeProvider.System);
        var second = new BatchJobStore(new BatchJobDatabase(otherSource), TimeProvider.System);

        var held = await first.TryLockPlanningAsync("batch-a", CancellationToken.None);
        Assert.NotNull(held);
        Assert.Null(await second.TryLockPlanningAsync("batch-a", CancellationToken.None));
        await using (var other = await second.TryLockPlanningAsync("batch-b", CancellationToken.None))
        {
            Assert.NotNull(other); // another job's lock is free
        }

        await held.DisposeAsync();
        await using var taken = await second.TryLockPlanningAsync("batch-a", CancellationToken.None);
        Assert.NotNull(taken);
    }

    static async Task<string?> PlanningJobAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT job_id FROM batch_jobs WHERE state = 'planning'");
        return await command.ExecuteScalarAsync() as string;
    }

    static async Task<string?> StateAsync(NpgsqlDataSource dataSource, string jobId)
    {
        await using var command = dataSource.CreateCommand("SELECT state FROM batch_jobs WHERE job_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        return await command.ExecuteScalarAsync() as string;
    }
}
