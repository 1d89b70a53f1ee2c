using Mlops.Monitoring.Performance;

namespace Mlops.Monitoring.Tests.Performance;

/// <summary>When a window is scored and when it counts as degraded.</summary>
public sealed class PerformanceJudgeTests
{
    static readonly PerformanceOptions Options = new() { MinLabeled = 4, AurocMargin = 0.05 };

    static List<PerformanceStore.Scored> Window(params (double P, double? Y)[] rows) =>
        rows.Select((r, i) => new PerformanceStore.Scored(r.P, r.Y, r.Y is null ? null : 60.0 * (i + 1))).ToList();

    [Fact]
    public void Score_FewerLabelledThanMinimum_CoverageAndDelayButNoMetrics()
    {
        var score = PerformanceJudge.Score(Window((0.9, 1), (0.1, 0), (0.5, null), (0.4, 1)), (0.8, "version"), Options);
        Assert.Equal((4, 3, 2), (score.Predictions, score.Labeled, score.Positives));
        Assert.Equal(0.75, score.Coverage);
        Assert.Null(score.Auroc);
        Assert.Null(score.Degraded);
        Assert.Equal(120, score.MedianDelaySeconds);
    }

    [Fact]
    public void Score_OneOutcomeOnly_NoAuroc()
    {
        var score = PerformanceJudge.Score(Window((0.9, 1), (0.1, 1), (0.5, 1), (0.4, 1)), (0.8, "version"), Options);
        Assert.Null(score.Auroc);
    }

    [Fact]
    public void Score_AurocBelowBaselineByMoreThanMargin_Degraded()
    {
        // 8 of 9 positive–negative pairs ordered (0.889) against 0.85 − 0.05: fine; 6 of 9 (0.667): degraded.
        var score = PerformanceJudge.Score(Window((0.9, 1), (0.6, 0), (0.7, 1), (0.1, 0), (0.8, 0), (0.95, 1)), (0.85, "version"), Options);
        Assert.Equal(8.0 / 9, score.Auroc!.Value, 12);
        Assert.Equal(false, score.Degraded);
        var worse = PerformanceJudge.Score(Window((0.9, 1), (0.6, 0), (0.5, 1), (0.1, 0), (0.8, 0), (0.7, 1)), (0.85, "version"), Options);
        Assert.Equal(6.0 / 9, worse.Auroc!.Value, 12);
        Assert.Equal(true, worse.Degraded);
    }

    [Fact]
    public void Score_NoBaseline_ScoredButNotJudged()
    {
        var score = PerformanceJudge.Score(Window((0.9, 1), (0.6, 0), (0.5, 1), (0.1, 0)), null, Options);
        Assert.NotNull(score.Auroc);
        Assert.Null(score.Degraded);
    }

    [Fact]
    public void IsValid_HorizonLongerThanRetention_Refused()
    {
        var options = new PerformanceOptions { DefaultHorizon = TimeSpan.FromDays(3) };
        Assert.False(options.IsValid(TimeSpan.FromDays(2), out var problem));
        Assert.Contains("Retention", problem);
        Assert.True(new PerformanceOptions().IsValid(TimeSpan.FromDays(2), out _));
    }
}
