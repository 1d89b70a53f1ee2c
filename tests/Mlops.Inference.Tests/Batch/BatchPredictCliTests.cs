using System.Globalization;
using Mlops.Inference.Batch;
using Mlops.Testing;
using Parquet.Serialization;

namespace Mlops.Inference.Tests.Batch;

/// <summary>
/// <c>mlops batch-predict</c> (the built command, as a user runs it) against an inference pod process: it starts a job
/// over the dataset version, follows it to the end and downloads the Parquet file.
/// </summary>
[Collection(BatchDatasetCollection.Name)]
public sealed class BatchPredictCliTests(BatchDatasetFixture fixture)
{
    [Fact]
    public async Task BatchPredict_StartsFollowsAndDownloadsParquet_WithEveryEntityOfTheDataset()
    {
        var chunkTopic = PlatformInfrastructure.UniqueName("batch-chunks-test");
        await BatchDatasetFixture.EnsureTopicsAsync([chunkTopic], 3);
        await using var registry = await ArtifactServer.StartAsync();
        await using var inference = ServiceProcess.Start("services/inference/Mlops.Inference",
            fixture.InferenceProcessEnvironment(chunkTopic, PlatformInfrastructure.UniqueName("batch-cli"), registry.BaseAddress));
        await inference.WaitUntilReadyAsync();

        var output = Path.Combine(Path.GetTempPath(), $"batch-cli-{Guid.NewGuid():N}.parquet");
        var at = fixture.Start.AddMinutes(210).ToString("O", CultureInfo.InvariantCulture);
        var (exit, stdout, stderr) = await MlopsCli.RunAsync(inference.BaseAddress, TimeSpan.FromMinutes(3),
            "batch-predict", "--model", "deterioration", "--version", "1", "--dataset", fixture.DatasetVersion, "--at", at, "--format", "parquet", "--out", output);
        Assert.True(exit == 0, $"exit {exit}: {stdout}\n{stderr}");

        try
        {
            await using var file = File.OpenRead(output);
            var rows = (await ParquetSerializer.DeserializeAsync<BatchParquetRow>(file)).Data;
            Assert.Equal(fixture.Entities.Order(StringComparer.Ordinal), rows.Select(r => r.EntityId));
            Assert.All(rows, r => Assert.Equal(fixture.Start.AddMinutes(210).UtcDateTime, DateTime.SpecifyKind(r.Time, DateTimeKind.Utc)));
            Assert.All(rows, r => Assert.NotNull(r.Probability));
            Assert.Contains(fixture.Entities.Count.ToString(CultureInfo.InvariantCulture) + " rows written", stdout);
        }
        finally
        {
            File.Delete(output);
        }
    }
}
