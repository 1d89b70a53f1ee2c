using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Retraining;

namespace Mlops.Monitoring.Tests.Retraining;

/// <summary>The promotion policy on hand-computed cases; thresholds are binary fractions so "exactly at" is exact.</summary>
public sealed class RetrainingPolicyTests
{
    static ModelFigures Figures(double auroc, double logLoss, double brier) => new() { Auroc = auroc, LogLoss = logLoss, Brier = brier };

    [Fact]
    public void Decide_CandidateBetterOnEveryFigure_Promotes()
    {
        var (promote, reasons) = RetrainingPolicy.Decide(Figures(0.875, 0.25, 0.125), Figures(0.75, 0.375, 0.1875), null, 0.0, 0.0, 0.0);

        Assert.True(promote);
        Assert.Equal(3, reasons.Count);
        Assert.Equal("AUROC 0.875 ≥ champion 0.75 + gain 0 = 0.75", reasons[0]);
    }

    [Fact]
    public void Decide_AurocExactlyAtChampionPlusGain_Promotes()
    {
        // 0.75 + 0.125 = 0.875 exactly in binary floating point.
        var (promote, _) = RetrainingPolicy.Decide(Figures(0.875, 0.5, 0.25), Figures(0.75, 0.5, 0.25), null, 0.125, 0.0, 0.0);

        Assert.True(promote);
    }

    [Fact]
    public void Decide_AurocJustBelowChampionPlusGain_Rejects()
    {
        var (promote, reasons) = RetrainingPolicy.Decide(Figures(0.875 - 1e-12, 0.5, 0.25), Figures(0.75, 0.5, 0.25), null, 0.125, 0.0, 0.0);

        Assert.False(promote);
        Assert.StartsWith("AUROC 0.875 < champion 0.75 + gain 0.125 = 0.875", reasons[0]);
    }

    [Fact]
    public void Decide_LogLossWorseExactlyByTheTolerance_Promotes()
    {
        var (promote, _) = RetrainingPolicy.Decide(Figures(0.75, 0.5 + 0.0625, 0.25), Figures(0.75, 0.5, 0.25), null, 0.0, 0.0625, 0.0);

        Assert.True(promote);
    }

    [Fact]
    public void Decide_LogLossWorseBeyondTheTolerance_RejectsNamingIt()
    {
        var (promote, reasons) = RetrainingPolicy.Decide(Figures(0.8125, 0.625, 0.25), Figures(0.75, 0.5, 0.25), null, 0.0, 0.0625, 0.0);

        Assert.False(promote);
        Assert.Equal("log loss 0.625 > champion 0.5 + tolerance 0.0625 = 0.5625", reasons[1]);
    }

    [Fact]
    public void Decide_BrierWorseBeyondTheTolerance_Rejects()
    {
        var (promote, reasons) = RetrainingPolicy.Decide(Figures(0.8125, 0.5, 0.3125), Figures(0.75, 0.5, 0.25), null, 0.0, 0.0, 0.03125);

        Assert.False(promote);
        Assert.Equal("Brier 0.3125 > champion 0.25 + tolerance 0.03125 = 0.28125", reasons[2]);
    }

    [Fact]
    public void Decide_NoChampionFigures_RejectsFailClosedWithTheProblem()
    {
        var (promote, reasons) = RetrainingPolicy.Decide(Figures(0.99, 0.01, 0.01), null, "different features", 0.0, 1.0, 1.0);

        Assert.False(promote);
        Assert.Contains("different features", Assert.Single(reasons));
    }

    [Fact]
    public void Decide_CandidateAurocNotANumber_Rejects()
    {
        var (promote, _) = RetrainingPolicy.Decide(Figures(double.NaN, 0.5, 0.25), Figures(0.75, 0.5, 0.25), null, 0.0, 0.0, 0.0);

        Assert.False(promote);
    }
}
