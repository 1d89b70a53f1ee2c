using Mlops.Features.Computation;
using Mlops.Features.Definitions;

namespace Mlops.Features.Tests.Computation;

public sealed class FeatureCalculatorTests
{
    static readonly DateTimeOffset T = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    readonly FeatureDefinitions _set = Definitions.Shipped();

    static ObservationPoint Obs(string code, double value, double hoursBefore, double? recordedHoursBefore = null, string? id = null) =>
        new(id ?? $"{code}-{hoursBefore}-{value}", code, value, T.AddHours(-hoursBefore), T.AddHours(-(recordedHoursBefore ?? hoursBefore)));

    [Fact]
    public void Compute_HeartRateSeries_GivesWindowedAggregates()
    {
        ObservationPoint[] series = [Obs("heart_rate", 80, 5), Obs("heart_rate", 90, 2), Obs("heart_rate", 100, 0.5), Obs("heart_rate", 70, 30)];

        var features = FeatureCalculator.Compute(_set, series, T);

        Assert.Equal(100, features["heart_rate_last_1h"]);
        Assert.Equal(1, features["heart_rate_count_1h"]);
        Assert.Equal(90, features["heart_rate_mean_6h"]!.Value, precision: 12);
        Assert.Equal(80, features["heart_rate_min_6h"]);
        Assert.Equal(3, features["heart_rate_count_24h"]);
        Assert.Equal(10, features["heart_rate_std_6h"]!.Value, precision: 12);
        Assert.Equal(0.5, features["heart_rate_time_since_last_24h"]!.Value, precision: 12);
        Assert.Null(features["heart_rate_slope_1h"]);
        Assert.True(features["heart_rate_slope_6h"] > 0);
    }

    [Fact]
    public void Compute_NoObservationInWindow_GivesNullAggregatesAndZeroCount()
    {
        var features = FeatureCalculator.Compute(_set, [Obs("heart_rate", 80, 3)], T);

        Assert.Null(features["heart_rate_last_1h"]);
        Assert.Equal(0, features["heart_rate_count_1h"]);
        Assert.Null(features["lactate_last_24h"]);
    }

    [Fact]
    public void Compute_ObservationAfterEvaluationTime_IsIgnored()
    {
        var features = FeatureCalculator.Compute(_set, [Obs("heart_rate", 80, 0.5), Obs("heart_rate", 200, -0.5)], T);

        Assert.Equal(80, features["heart_rate_last_1h"]);
        Assert.Equal(1, features["heart_rate_count_24h"]);
    }

    [Fact]
    public void Compute_KnownAt_ExcludesObservationsRecordedLater()
    {
        // Measured 2 h ago but recorded only after T: must not be visible "as known at T".
        ObservationPoint[] series = [Obs("lactate", 1.5, 5), Obs("lactate", 6.0, 2, recordedHoursBefore: -3)];

        Assert.Equal(6.0, FeatureCalculator.Compute(_set, series, T)["lactate_last_24h"]);
        Assert.Equal(1.5, FeatureCalculator.Compute(_set, series, T, knownAt: T)["lactate_last_24h"]);
    }

    [Fact]
    public void Compute_AnyArrivalOrder_GivesBitIdenticalVectors()
    {
        var random = new Random(7);
        var codes = new[] { "heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp", "consciousness", "lactate" };
        var series = Enumerable.Range(0, 300).Select(i => Obs(codes[i % codes.Length], 50 + random.NextDouble() * 50, random.NextDouble() * 30, id: $"o{i}")).ToList();
        var expected = FeatureCalculator.Compute(_set, series, T);

        for (var round = 0; round < 5; round++)
        {
            var shuffled = series.OrderBy(_ => random.Next()).ToList();
            Assert.Equal(expected, FeatureCalculator.Compute(_set, shuffled, T));
        }
    }

    [Fact]
    public void Compute_ShockIndexAndNews2_FromLatestVitals()
    {
        ObservationPoint[] vitals =
        [
            Obs("heart_rate", 120, 1), Obs("systolic_bp", 95, 1), Obs("respiratory_rate", 26, 1),
            Obs("spo2", 93, 1), Obs("temperature", 38.5, 1), Obs("consciousness", 2, 1),
        ];

        var features = FeatureCalculator.Compute(_set, vitals, T);

        Assert.Equal(120.0 / 95.0, features["shock_index"]!.Value, precision: 12);
        // HR 120 → 2, SBP 95 → 2, RR 26 → 3, SpO2 93 → 2, T 38.5 → 1, new confusion/voice → 3.
        Assert.Equal(13, features["news2"]);
    }

    [Fact]
    public void Version_ChangingADefinition_MakesANewVersion()
    {
        var changed = Definitions.Shipped();
        changed.Aggregations[0].Windows.Add(TimeSpan.FromHours(12));

        Assert.NotEqual(_set.Version, changed.Version);
        Assert.Equal(_set.Version, Definitions.Shipped().Version);
        Assert.StartsWith("vitals-", _set.Version, StringComparison.Ordinal);
        Assert.Contains("heart_rate_mean_12h", changed.FeatureNames);
    }
}
