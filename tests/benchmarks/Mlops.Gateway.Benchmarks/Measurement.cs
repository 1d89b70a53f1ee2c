namespace Mlops.Gateway.Benchmarks;

/// <summary>Throughput and latency percentiles of one scenario.</summary>
internal sealed record Measurement(string Path, int Clients, double RequestsPerSecond, double P50Ms, double P99Ms)
{
    public static Measurement From(string path, int clients, List<double> latenciesMs, TimeSpan elapsed)
    {
        latenciesMs.Sort();
        return new Measurement(path, clients, latenciesMs.Count / elapsed.TotalSeconds, Percentile(latenciesMs, 0.50), Percentile(latenciesMs, 0.99));
    }

    static double Percentile(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
