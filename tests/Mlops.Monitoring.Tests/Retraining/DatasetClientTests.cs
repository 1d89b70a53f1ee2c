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

        var first = await client.SnapshotAsync(retraining, "deterioration", "sha256:champion", CancellationToken.None);
        var retried = await client.SnapshotAsync(retraining, "deterioration", "sha256:champion", CancellationToken.None);
        var other = await client.SnapshotAsync(Guid.NewGuid(), "deterioration", "sha256:champion", CancellationToken.None);

        Assert.Equal(first, retried);
        Assert.NotEqual(first, other);
        Assert.Equal(2, _ingestion.Datasets.Count);
        Assert.Equal($"retraining {retraining} of deterioration", _ingestion.Datasets.First()["description"]!.GetValue<string>());
        Assert.Null(_ingestion.Datasets.First()["sources"]);
    }

    [Fact]
    public async Task Snapshot_ChampionTrainedOnAScopedVersion_TakesTheSameScopeWithoutItsEnd()
    {
        _ingestion.DatasetScopes["sha256:scoped"] = new()
        {
            ["version"] = "sha256:scoped", ["codes"] = new System.Text.Json.Nodes.JsonArray("heart_rate"), ["sources"] = new System.Text.Json.Nodes.JsonArray("ward-7"),
            ["since"] = "2026-11-01T00:00:00+00:00", ["until"] = "2026-11-20T00:00:00+00:00",
        };

        await new DatasetClient(_http).SnapshotAsync(Guid.NewGuid(), "deterioration", "sha256:scoped", CancellationToken.None);

        var taken = Assert.Single(_ingestion.Datasets);
        Assert.Equal("heart_rate", taken["codes"]![0]!.GetValue<string>());
        Assert.Equal("ward-7", taken["sources"]![0]!.GetValue<string>());
        Assert.Equal("2026-11-01T00:00:00+00:00", taken["since"]!.GetValue<string>());
        Assert.Null(taken["until"]);
    }

    [Fact]
    public async Task Snapshot_ChampionDatasetUnknownToIngestion_FailsTheStepWithTheReason()
    {
        _ingestion.DatasetScopes.Clear();
        using var missing = new HttpClient(new NotFoundHandler()) { BaseAddress = _ingestion.BaseAddress };

        var failure = await Assert.ThrowsAsync<RetrainingStepException>(() => new DatasetClient(missing).SnapshotAsync(Guid.NewGuid(), "deterioration", "sha256:gone", CancellationToken.None));

        Assert.Contains("the champion's dataset version sha256:gone", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>Ingestion knowing no such version: the list is empty, the description a 404.</summary>
    sealed class NotFoundHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(request.RequestUri!.AbsolutePath.EndsWith("/datasets", StringComparison.Ordinal)
                ? new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent("[]", System.Text.Encoding.UTF8, "application/json") }
                : new HttpResponseMessage(System.Net.HttpStatusCode.NotFound) { Content = new StringContent("no dataset version") });
    }
}
