using System.Globalization;
using Confluent.Kafka;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Inference.Tests.Batch;

/// <summary>
/// Two inference replicas in one chunk consumer group (one in process, one a process of its own) share the work of
/// batch jobs through the chunk topic's partitions: each scores chunks, and every job still has exactly one row per
/// entity and time.
/// </summary>
[Collection(BatchDatasetCollection.Name)]
public sealed class BatchReplicasTests(BatchDatasetFixture fixture)
{
    // Six jobs of three chunks over two partitions, one per replica: all eighteen chunks hashing to one partition
    // (so one replica idle) has a chance of 2^-17.
    const int Jobs = 6;
    const int Times = 4;

    [Fact]
    public async Task BatchJobs_TwoReplicasInOneGroup_BothScoreChunksAndEveryJobHasExactRows()
    {
        var chunkTopic = PlatformInfrastructure.UniqueName("batch-chunks-test");
        var group = PlatformInfrastructure.UniqueName("batch-replicas");
        await BatchDatasetFixture.EnsureTopicsAsync([chunkTopic], 2);
        await using var first = new InferenceAppFactory(settings: fixture.InferenceSettings(chunkTopic, group));
        await using var second = ServiceProcess.Start("services/inference/Mlops.Inference", fixture.InferenceProcessEnvironment(chunkTopic, group, first.Upstream.BaseAddress));
        using var client = await first.ReadyClientAsync();
        await second.WaitUntilReadyAsync();
        await Eventually.WaitUntilAsync(() => Task.FromResult(MembersOwningPartitions(group) == 2), "both replicas own a partition of the chunk topic", TimeSpan.FromSeconds(90));

        var jobs = new List<string>();
        for (var j = 0; j < Jobs; j++)
        {
            var times = Enumerable.Range(0, Times).Select(k => fixture.Start.AddHours(2).AddMinutes(j).AddSeconds(10 * k).ToString("O", CultureInfo.InvariantCulture)).ToArray();
            jobs.Add((await client.StartAsync(new { model = "deterioration", version = "1", datasetVersion = fixture.DatasetVersion, times })).Id);
        }

        var chunks = 0;
        foreach (var job in jobs)
        {
            var finished = await client.FinishedAsync(job, TimeSpan.FromMinutes(3));
            var results = await client.NdjsonAsync(job);
            Assert.Equal(BatchDatasetFixture.Patients * Times, finished.Rows);
            chunks += finished.Chunks.Total;
            Assert.Equal(BatchDatasetFixture.Patients * Times, results.Select(r => (r.EntityId, r.Time)).Distinct().Count());
            Assert.Equal(results.Count, results.Select(r => (r.EntityId, r.Time)).Distinct().Count());
        }

        var byWorker = await ChunksByWorkerAsync(jobs);
        Assert.True(byWorker.Count == 2, $"chunks by worker: {string.Join(", ", byWorker.Select(w => $"{w.Key}={w.Value}"))}; both replicas must have scored some");
        Assert.Equal(chunks, byWorker.Values.Sum());
    }

    static int MembersOwningPartitions(string group)
    {
        using var admin = new AdminClientBuilder(BatchDatasetFixture.KafkaClients().CreateAdminConfig("batch-replicas-test")).Build();
        var described = admin.DescribeConsumerGroupsAsync([group]).GetAwaiter().GetResult();
        return described.ConsumerGroupDescriptions.Single().Members.Count(m => m.Assignment.TopicPartitions.Count > 0);
    }

    static async Task<Dictionary<string, int>> ChunksByWorkerAsync(IReadOnlyList<string> jobs)
    {
        await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("inference"));
        await using var command = dataSource.CreateCommand("SELECT worker, count(*) FROM batch_chunks WHERE job_id = ANY($1) AND state = 'done' GROUP BY worker");
        command.Parameters.Add(new NpgsqlParameter { Value = jobs.ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        var found = new Dictionary<string, int>();
        while (await reader.ReadAsync())
        {
            found[reader.IsDBNull(0) ? "(none)" : reader.GetString(0)] = (int)reader.GetInt64(1);
        }

        return found;
    }
}
