namespace Mlops.Inference.Benchmarks;

/// <summary>
/// The prediction log's cost on the request path: the service over loopback HTTP (batching on, as shipped) with the
/// log off (the baseline), on without waiting for the write (<c>WriteWait</c> zero: lost at a crash if still queued)
/// and on as shipped (each answer waits for its entry's insert), side by side in one run, at 1 and 16 concurrent
/// clients; the ratios are the result.
/// </summary>
internal static class PredictionLogBenchmark
{
    public static async Task<int> RunAsync(int seconds, string modelPath)
    {
        var duration = TimeSpan.FromSeconds(seconds);
        int[] clientCounts = [1, 16];
        var results = new List<Measurement>();
        (string Name, bool On, TimeSpan? Wait)[] modes = [("off", false, null), ("on, no wait", true, TimeSpan.Zero), ("on, shipped", true, null)];
        foreach (var mode in modes)
        {
            await using var service = await ServiceBenchmark.StartAsync(modelPath, batching: true, TimeSpan.Zero, predictionLog: mode.On, logWriteWait: mode.Wait);
            foreach (var clients in clientCounts)
            {
                results.Add(await service.RunAsync($"service HTTP, log {mode.Name}, {clients} clients", clients, duration));
            }
        }

        Console.WriteLine($"{"scenario",-44} {"pred/s",12} {"p50 ms",9} {"p99 ms",9}");
        foreach (var r in results)
        {
            Console.WriteLine($"{r.Scenario,-44} {r.PredictionsPerSecond,12:F0} {r.P50Ms,9:F3} {r.P99Ms,9:F3}");
        }

        Console.WriteLine();
        foreach (var clients in clientCounts)
        {
            var off = results.Single(r => r.Scenario == $"service HTTP, log off, {clients} clients");
            foreach (var mode in modes.Skip(1))
            {
                var on = results.Single(r => r.Scenario == $"service HTTP, log {mode.Name}, {clients} clients");
                Console.WriteLine(FormattableString.Invariant(
                    $"{clients,3} clients: log {mode.Name,-12}/off = {on.PredictionsPerSecond / off.PredictionsPerSecond:F3} throughput, {on.P50Ms / off.P50Ms:F2} p50, {on.P99Ms / off.P99Ms:F2} p99"));
            }
        }

        return 0;
    }
}
