namespace Mlops.Inference.Benchmarks;

/// <summary>
/// The prediction log's cost on the request path: the service over loopback HTTP (batching on, as shipped) with the
/// log off (the baseline) and on, side by side in one run, at 1 and 16 concurrent clients; the ratios are the result.
/// </summary>
internal static class PredictionLogBenchmark
{
    public static async Task<int> RunAsync(int seconds, string modelPath)
    {
        var duration = TimeSpan.FromSeconds(seconds);
        int[] clientCounts = [1, 16];
        var results = new List<Measurement>();
        foreach (var logged in new[] { false, true })
        {
            await using var service = await ServiceBenchmark.StartAsync(modelPath, batching: true, TimeSpan.Zero, predictionLog: logged);
            foreach (var clients in clientCounts)
            {
                results.Add(await service.RunAsync($"service HTTP, log {(logged ? "on" : "off")}, {clients} clients", clients, duration));
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
            var on = results.Single(r => r.Scenario == $"service HTTP, log on, {clients} clients");
            Console.WriteLine(FormattableString.Invariant(
                $"{clients,3} clients: log on/off = {on.PredictionsPerSecond / off.PredictionsPerSecond:F3} throughput, {on.P50Ms / off.P50Ms:F2} p50, {on.P99Ms / off.P99Ms:F2} p99"));
        }

        return 0;
    }
}
