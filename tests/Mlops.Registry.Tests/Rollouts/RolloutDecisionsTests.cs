using Mlops.Contracts.Registry;
using Mlops.Registry.Rollouts;

namespace Mlops.Registry.Tests.Rollouts;

public sealed class RolloutDecisionsTests
{
    [Theory]
    [InlineData(null, 0.01, RolloutVerdicts.Inconclusive)]
    [InlineData(double.NaN, 0.01, RolloutVerdicts.Inconclusive)]
    [InlineData(0.01, 0.01, RolloutVerdicts.Passed)]
    [InlineData(0.0101, 0.01, RolloutVerdicts.Failed)]
    public void Judge_Value_AgainstThreshold(double? value, double threshold, string verdict) =>
        Assert.Equal(verdict, RolloutDecisions.Judge(value, threshold));

    [Fact]
    public void VerdictOf_NoMeasurements_IsInconclusiveNeverPassed() =>
        Assert.Equal(RolloutVerdicts.Inconclusive, RolloutDecisions.VerdictOf([]));

    [Fact]
    public void VerdictOf_FailedBesideInconclusive_IsFailed()
    {
        RolloutMeasurement M(string v) => new() { Metric = "m", Threshold = 1, Verdict = v, Evidence = "" };
        Assert.Equal(RolloutVerdicts.Failed, RolloutDecisions.VerdictOf([M(RolloutVerdicts.Inconclusive), M(RolloutVerdicts.Failed)]));
        Assert.Equal(RolloutVerdicts.Inconclusive, RolloutDecisions.VerdictOf([M(RolloutVerdicts.Passed), M(RolloutVerdicts.Inconclusive)]));
    }

    [Fact]
    public void Validate_FallingSteps_NamesSteps()
    {
        var errors = RolloutDecisions.Validate([50, 10], TimeSpan.FromMinutes(1), new RolloutThresholds { MaxErrorRate = 0.01 }, 0, 1);
        Assert.Equal(["steps"], errors.Keys);
    }

    [Fact]
    public void Validate_NoThreshold_NamesThresholds()
    {
        var errors = RolloutDecisions.Validate([10, 100], TimeSpan.FromMinutes(1), new RolloutThresholds(), 0, 1);
        Assert.Equal(["thresholds"], errors.Keys);
    }
}
