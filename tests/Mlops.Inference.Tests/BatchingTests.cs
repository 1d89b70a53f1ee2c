using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using System.Text.Json;
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

    // Two runners take batches from one queue at once: every concurrent request must still get its own row's answer,
    // whichever runner's batch it landed in.
    [Fact]
    public async Task ConcurrentRequests_TwoBatchRunners_EachGetsItsOwnRowsAnswer()
    {
        var rows = Enumerable.Range(0, 48).Select(i => Models.Vitals(60 + i, 12 + (i % 15), 88 + (i % 12), 36 + (i % 4), 90 + (2 * i))).ToList();
        var answers = new JsonElement[rows.Count];
        var sizes = await RecordBatchSizesAsync(batching: true, async client =>
        {
            await Task.WhenAll(rows.Select(async (row, i) => answers[i] = await client.PredictAsync(row)));
        }, new Dictionary<string, string?> { ["Inference:Batching:Instances"] = "2" });

        for (var i = 0; i < rows.Count; i++)
        {
            var (mean, std) = Models.Expected(Models.V1, rows[i]);
            Assert.Equal(mean, answers[i].GetProperty("probability").GetDouble(), 5);
            Assert.Equal(std, answers[i].GetProperty("uncertainty").GetDouble(), 5);
        }

        Assert.Equal(rows.Count, sizes.Sum());
    }

    [Fact]
    public async Task BatchRunners_Zero_RefusedAtStart()
    {
        await using var factory = new InferenceAppFactory(settings: new Dictionary<string, string?> { ["Inference:Batching:Instances"] = "0" });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => factory.ReadyClientAsync());

        Assert.Contains("Inference:Batching:Instances must be at least 1", error.ToString(), StringComparison.Ordinal);
    }

    static async Task<List<int>> RecordBatchSizesAsync(bool batching, Func<HttpClient, Task> act, IReadOnlyDictionary<string, string?>? settings = null)
    {
        await using var factory = new InferenceAppFactory(batching: batching, maxQueueDelay: TimeSpan.FromMilliseconds(500), settings: settings);
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
