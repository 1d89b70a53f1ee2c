using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using Mlops.Inference.Telemetry;

namespace Mlops.Inference.Tests;

[Collection(SerialCollection.Name)]
public sealed class BatchingTests
{
    // A generous queue delay lets every concurrently issued item join one batch; the assertion is on batch sizes.
    [Fact]
    public async Task ConcurrentRequests_BatchingOn_RunAsOneModelBatch()
    {
        var sizes = await RecordBatchSizesAsync(batching: true, async client =>
        {
            var items = Enumerable.Range(0, 32).Select(i => new { features = Models.Vitals(70 + i, 16, 96, 37, 120) });
            using var response = await client.PostAsJsonAsync("/api/inference/predict/batch", new { items });
            response.EnsureSuccessStatusCode();
        });

        Assert.Contains(sizes, s => s > 1);
        Assert.True(sizes.Max() <= 64);
    }

    [Fact]
    public async Task ConcurrentRequests_BatchingOff_EachRunsAlone()
    {
        var sizes = await RecordBatchSizesAsync(batching: false, async client =>
        {
            var items = Enumerable.Range(0, 32).Select(i => new { features = Models.Vitals(70 + i, 16, 96, 37, 120) });
            using var response = await client.PostAsJsonAsync("/api/inference/predict/batch", new { items });
            response.EnsureSuccessStatusCode();
        });

        Assert.NotEmpty(sizes);
        Assert.All(sizes, s => Assert.Equal(1, s));
    }

    static async Task<List<int>> RecordBatchSizesAsync(bool batching, Func<HttpClient, Task> act)
    {
        await using var factory = new InferenceAppFactory(batching: batching, maxQueueDelay: TimeSpan.FromMilliseconds(500));
        var client = await factory.ReadyClientAsync();
        var sizes = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == InferenceTelemetry.Name && instrument.Name == "mlops.inference.batch.size")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
        {
            lock (sizes)
            {
                sizes.Add(value);
            }
        });
        listener.Start();

        await act(client);

        lock (sizes)
        {
            return [.. sizes];
        }
    }
}
