namespace Mlops.Inference.Benchmarks;

/// <summary>Throughput and latency percentiles of one scenario.</summary>
internal sealed record Measurement(string Scenario, double PredictionsPerSecond, double P50Ms, double P99Ms)
{
    /// <summary>Peak RSS of the process that served the scenario, read when it ended (0: not measured).</summary>
    public long PeakResidentBytes { get; init; }

    /// <summary>CPU time the serving process spent per prediction during the scenario (0: not measured).</summary>
    public double CpuMicrosecondsPerPrediction { get; init; }

    public static Measurement From(string scenario, List<double> latenciesMs, long predictions, TimeSpan elapsed)
    {
        latenciesMs.Sort();
        return new Measurement(scenario, predictions / elapsed.TotalSeconds, Percentile(latenciesMs, 0.50), Percentile(latenciesMs, 0.99));
    }

    static double Percentile(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
