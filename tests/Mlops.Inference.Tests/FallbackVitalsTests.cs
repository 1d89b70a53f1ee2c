using Mlops.Inference.Scoring;

namespace Mlops.Inference.Tests;

public sealed class FallbackVitalsTests
{
    [Fact]
    public void ResolveVitals_FeatureServiceNames_AreReadAsTheBareVitals()
    {
        var vector = new Dictionary<string, double?>
        {
            ["heart_rate_last_24h"] = 128, ["respiratory_rate_last_24h"] = 27, ["spo2_last_24h"] = 91,
            ["temperature_last_24h"] = 38.8, ["systolic_bp_last_24h"] = 88, ["heart_rate_mean_6h"] = 70,
        };

        var vitals = FallbackScorer.ResolveVitals(vector);

        Assert.Equal(128, vitals["heart_rate"]);
        Assert.Equal(5, vitals.Count);
        // HR 128 → 2, RR 27 → 3, SpO2 91 → 3, T 38.8 → 1, SBP 88 → 3.
        Assert.Equal(12, FallbackScorer.Points(128, 27, 91, 38.8, 88));
    }

    [Fact]
    public void ResolveVitals_BareNamesWin_AndMissingVitalsStayMissing()
    {
        var vitals = FallbackScorer.ResolveVitals(new Dictionary<string, double?> { ["heart_rate"] = 80, ["heart_rate_last_24h"] = 120 });

        Assert.Equal(80, vitals["heart_rate"]);
        Assert.False(vitals.ContainsKey("spo2"));
    }
}
