namespace Mlops.Gateway.Shadow;

/// <summary>
/// The running comparison of one version pair. Absolute differences go into a fixed histogram of 10,000 bins over
/// [0, 1] (the p99 is exact to 0.0001 over every pair ever compared, in constant memory); latencies into a ring of the
/// most recent samples.
/// </summary>
public sealed class ShadowPairStatistics(string primaryVersion, string shadowVersion, int latencyWindow)
{
    const int DifferenceBins = 10_000;
    readonly Lock _gate = new();
    readonly long[] _differences = new long[DifferenceBins + 1];
    readonly double[] _primaryLatency = new double[latencyWindow];
    readonly double[] _shadowLatency = new double[latencyWindow];
    long _requests;
    long _predictions;
    long _agreements;
    double _differenceSum;
    double _primaryLatencySum;
    double _shadowLatencySum;

    public void Add(IReadOnlyList<double> primary, IReadOnlyList<double> shadow, double threshold, double primaryLatencyMs, double shadowLatencyMs)
    {
        lock (_gate)
        {
            var slot = (int)(_requests % _primaryLatency.Length);
            _primaryLatency[slot] = primaryLatencyMs;
            _shadowLatency[slot] = shadowLatencyMs;
            _primaryLatencySum += primaryLatencyMs;
            _shadowLatencySum += shadowLatencyMs;
            _requests++;
            for (var i = 0; i < primary.Count; i++)
            {
                var difference = Math.Abs(primary[i] - shadow[i]);
                _differenceSum += difference;
                _differences[(int)Math.Round(Math.Clamp(difference, 0, 1) * DifferenceBins)]++;
                _agreements += primary[i] >= threshold == shadow[i] >= threshold ? 1 : 0;
                _predictions++;
            }
        }
    }

    public ShadowPairReport Report(string primaryVariant)
    {
        lock (_gate)
        {
            var samples = (int)Math.Min(_requests, _primaryLatency.Length);
            return new ShadowPairReport
            {
                PrimaryVariant = primaryVariant,
                PrimaryVersion = primaryVersion,
                ShadowVersion = shadowVersion,
                Requests = _requests,
                Predictions = _predictions,
                Agreement = _predictions == 0 ? null : (double)_agreements / _predictions,
                MeanAbsoluteDifference = _predictions == 0 ? null : _differenceSum / _predictions,
                P99AbsoluteDifference = _predictions == 0 ? null : DifferencePercentile(0.99),
                PrimaryLatencyMs = LatencySummary.Of(_primaryLatency.AsSpan(0, samples), _requests == 0 ? 0 : _primaryLatencySum / _requests),
                ShadowLatencyMs = LatencySummary.Of(_shadowLatency.AsSpan(0, samples), _requests == 0 ? 0 : _shadowLatencySum / _requests),
            };
        }
    }

    double DifferencePercentile(double q)
    {
        // The smallest bin at or below which q of the differences lie (nearest-rank).
        var rank = (long)Math.Ceiling(q * _predictions);
        long seen = 0;
        for (var bin = 0; bin < _differences.Length; bin++)
        {
            seen += _differences[bin];
            if (seen >= rank)
            {
                return (double)bin / DifferenceBins;
            }
        }

        return 1;
    }
}
