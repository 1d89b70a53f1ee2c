using System.Globalization;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>The 99th percentile of the candidate's prediction latency since the previous analysis, from the latency histogram's buckets.</summary>
public sealed class LatencyP99Metric(InferenceMetricsSource source) : IRolloutMetric
{
    public string Name => "p99-latency-ms";

    public double? ThresholdOf(RolloutThresholds thresholds) => thresholds.MaxP99LatencyMs;

    public async Task<MetricReading> MeasureAsync(RolloutMetricContext context, CancellationToken cancellationToken)
    {
        var (counters, from) = await source.ReadAsync(context.ModelName, context.CandidateVersion, cancellationToken);
        if (counters is null)
        {
            return MetricReading.Missing(from);
        }

        var interval = counters.Since(context.Baseline);
        if (interval.Successes < context.MinRequests)
        {
            return new MetricReading(null, $"{interval.Successes.ToString(CultureInfo.InvariantCulture)} timed predictions of {context.CandidateVersion} in the interval, fewer than {context.MinRequests} ({from})", counters.ToSnapshot());
        }

        return new MetricReading(interval.Quantile(0.99),
            $"p99 over {interval.Successes.ToString(CultureInfo.InvariantCulture)} predictions of {context.CandidateVersion}, interpolated in histogram buckets ({from})", counters.ToSnapshot());
    }
}
