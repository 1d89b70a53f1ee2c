namespace Mlops.EndToEnd.Benchmarks;

/// <summary>Percentiles of one set of latencies, in milliseconds.</summary>
internal sealed record Latencies(int Count, double P50, double P90, double P99, double Max)
{
    public static Latencies Of(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.ToArray();
        Array.Sort(sorted);
        return sorted.Length == 0
            ? new Latencies(0, double.NaN, double.NaN, double.NaN, double.NaN)
            : new Latencies(sorted.Length, At(sorted, 0.50), At(sorted, 0.90), At(sorted, 0.99), sorted[^1]);
    }

    public override string ToString() => FormattableString.Invariant($"p50 {P50,8:F1}  p90 {P90,8:F1}  p99 {P99,8:F1}  max {Max,8:F1} ms  (n={Count})");

    static double At(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
}
