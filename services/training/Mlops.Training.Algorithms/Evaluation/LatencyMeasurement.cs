using System.Diagnostics;
using Mlops.Training.Algorithms.Data;

namespace Mlops.Training.Algorithms.Evaluation;

/// <summary>Percentiles of one-row prediction latency, in microseconds.</summary>
public sealed record LatencyReport(int Samples, double P50Microseconds, double P95Microseconds, double P99Microseconds, double MaxMicroseconds);

/// <summary>
/// Times single-row predictions through any engine (the exported model in ONNX Runtime, in practice), one row at a
/// time over the test set, after a warm-up that is not counted.
/// </summary>
public static class LatencyMeasurement
{
    public static LatencyReport SinglePrediction(TabularData data, Func<float[], float> predictOneRow, int samples = 1000, int warmup = 50)
    {
        ArgumentNullException.ThrowIfNull(predictOneRow);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        var rows = Enumerable.Range(0, data.Rows).Select(r => data.Row(r).ToArray()).ToArray();
        for (var i = 0; i < warmup; i++)
        {
            predictOneRow(rows[i % rows.Length]);
        }

        var ticks = new long[samples];
        for (var i = 0; i < samples; i++)
        {
            var row = rows[i % rows.Length];
            var start = Stopwatch.GetTimestamp();
            predictOneRow(row);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }

        Array.Sort(ticks);
        double Us(long t) => t * 1_000_000.0 / Stopwatch.Frequency;
        double At(double q) => Us(ticks[Math.Min(samples - 1, (int)Math.Ceiling(q * samples) - 1)]);
        return new LatencyReport(samples, At(0.50), At(0.95), At(0.99), Us(ticks[^1]));
    }
}
