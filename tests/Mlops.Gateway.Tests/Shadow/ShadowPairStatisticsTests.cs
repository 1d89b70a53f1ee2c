using Mlops.Gateway.Shadow;

namespace Mlops.Gateway.Tests.Shadow;

public sealed class ShadowPairStatisticsTests
{
    [Fact]
    public void Report_AgreementMeanAndP99OfTheDifferences()
    {
        var statistics = new ShadowPairStatistics("1", "2", latencyWindow: 100);

        // 100 predictions: differences 0.00, 0.01, …, 0.99; the primary is always positive (0.99), the shadow below
        // 0.5 once the difference exceeds 0.49 — 50 agree.
        for (var i = 0; i < 100; i++)
        {
            statistics.Add([0.99], [0.99 - (i / 100.0)], threshold: 0.5, primaryLatencyMs: i + 1, shadowLatencyMs: 2 * (i + 1));
        }

        var report = statistics.Report("champion");
        Assert.Equal(100, report.Requests);
        Assert.Equal(100, report.Predictions);
        Assert.Equal(0.5, report.Agreement!.Value, 10);
        Assert.Equal(0.495, report.MeanAbsoluteDifference!.Value, 10);
        Assert.Equal(0.98, report.P99AbsoluteDifference!.Value, 4);
        Assert.Equal(new LatencySummary(50.5, 50, 99), report.PrimaryLatencyMs);
        Assert.Equal(new LatencySummary(101, 100, 198), report.ShadowLatencyMs);
    }

    [Fact]
    public void Report_LatencyPercentilesOverTheRecentWindow_MeanOverAll()
    {
        var statistics = new ShadowPairStatistics("1", "2", latencyWindow: 10);
        for (var i = 0; i < 20; i++)
        {
            statistics.Add([0.5], [0.5], 0.5, primaryLatencyMs: i < 10 ? 1000 : 1, shadowLatencyMs: 1);
        }

        var report = statistics.Report("champion");
        Assert.Equal(1, report.PrimaryLatencyMs.P99);
        Assert.Equal(500.5, report.PrimaryLatencyMs.Mean, 10);
    }

    [Fact]
    public void Report_NothingCompared_NoAgreementOrDifference()
    {
        var report = new ShadowPairStatistics("1", "2", 10).Report("champion");
        Assert.Null(report.Agreement);
        Assert.Null(report.MeanAbsoluteDifference);
        Assert.Null(report.P99AbsoluteDifference);
    }
}
