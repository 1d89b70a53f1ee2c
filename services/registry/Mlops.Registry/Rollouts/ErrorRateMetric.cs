using System.Globalization;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>The candidate's failed predictions over all its predictions since the previous analysis.</summary>
public sealed class ErrorRateMetric(InferenceMetricsSource source) : IRolloutMetric
{
    public string Name => "error-rate";

    public double? ThresholdOf(RolloutThresholds thresholds) => thresholds.MaxErrorRate;

    public async Task<MetricReading> MeasureAsync(RolloutMetricContext context, CancellationToken cancellationToken)
    {
        var (counters, from) = await source.ReadAsync(context.ModelName, context.CandidateVersion, cancellationToken);
        if (counters is null)
        {
            return MetricReading.Missing(from);
        }

        var interval = counters.Since(context.Baseline);
        var total = interval.Successes + interval.Errors;
        if (total < context.MinRequests)
        {
            return new MetricReading(null, $"{total.ToString(CultureInfo.InvariantCulture)} predictions of {context.CandidateVersion} in the interval, fewer than {context.MinRequests} ({from})", counters.ToSnapshot());
        }

        return new MetricReading(interval.Errors / total,
            $"{interval.Errors.ToString(CultureInfo.InvariantCulture)} errors in {total.ToString(CultureInfo.InvariantCulture)} predictions of {context.CandidateVersion} ({from})", counters.ToSnapshot());
    }
}
