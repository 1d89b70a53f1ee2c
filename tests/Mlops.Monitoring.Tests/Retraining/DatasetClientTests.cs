using Mlops.Monitoring.Retraining;

namespace Mlops.Monitoring.Tests.Retraining;

/// <summary>The data snapshot step against ingestion's dataset API (stood in over HTTP): a retried step reuses its snapshot.</summary>
public sealed class DatasetClientTests : IAsyncLifetime
{
    RegistryStandIn _ingestion = null!;
    HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _ingestion = await RegistryStandIn.StartAsync();
        _http = new HttpClient { BaseAddress = _ingestion.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _ingestion.DisposeAsync();
    }

    [Fact]
    public async Task Snapshot_SameRetrainingTwice_ReusesItsSnapshotAndAnotherRetrainingTakesANewOne()
    {
        var client = new DatasetClient(_http);
        var retraining = Guid.NewGuid();

        var first = await client.SnapshotAsync(retraining, "deterioration", CancellationToken.None);
        var retried = await client.SnapshotAsync(retraining, "deterioration", CancellationToken.None);
        var other = await client.SnapshotAsync(Guid.NewGuid(), "deterioration", CancellationToken.None);

        Assert.Equal(first, retried);
        Assert.NotEqual(first, other);
        Assert.Equal(2, _ingestion.Datasets.Count);
        Assert.Equal($"retraining {retraining} of deterioration", _ingestion.Datasets.First()["description"]!.GetValue<string>());
    }
}
