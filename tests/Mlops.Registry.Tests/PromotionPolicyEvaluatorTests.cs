using Mlops.Contracts.Registry;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Tests;

public sealed class PromotionPolicyEvaluatorTests
{
    static readonly PromotionPolicy Strict = new()
    {
        MainMetric = "auroc", MinImprovementOverChampion = 0.005, MaxP99LatencyMs = 100, RequireLeakageCheck = true, MaxSubgroupGap = 0.05,
        HumanApprovalAboveRelativeChange = 0.01,
    };

    static ModelVersionState Version(string version, ModelMetrics metrics) => new()
    {
        Registration = new ModelVersionRegistered
        {
            ModelName = "m", Version = version, ArtifactSha256 = new string('a', 64), Metrics = metrics,
            Signature = new ModelSignature { Inputs = [], Outputs = [] }, DatasetVersion = "d", FeatureSetVersion = "f", TrainingRunId = "r", CodeVersion = "c", RegisteredBy = "t",
        },
        RegisteredAt = DateTimeOffset.UnixEpoch,
        Stage = ModelStages.Development,
    };

    [Fact]
    public void Evaluate_CandidateFailingEveryCriterion_ListsEachFailure()
    {
        var champion = Version("1.0.0", Models.Metrics(0.80));
        var candidate = Version("1.1.0", Models.Metrics(0.802, p99: 130, leakage: false, worstSubgroup: 0.70));

        var verdict = PromotionPolicyEvaluator.Evaluate(Strict, candidate, champion, ModelAliases.Champion);

        Assert.False(verdict.Passed);
        Assert.Collection(verdict.FailedCriteria,
            c => Assert.Equal("auroc 0.802 is below the champion's 0.8 + 0.005 = 0.805", c),
            c => Assert.Equal("p99_latency_ms 130 is not below 100", c),
            c => Assert.Equal("leakage check did not pass", c),
            c => Assert.StartsWith("subgroup gap of auroc is 0.107 (best age:18-64 0.807, worst age:65+ 0.7)", c));
    }

    [Theory]
    [InlineData(0.806, false)]
    [InlineData(0.85, true)]
    public void Evaluate_MainMetricMove_RequiresHumanApprovalOnlyAboveThreshold(double candidateAuroc, bool approvalExpected)
    {
        var verdict = PromotionPolicyEvaluator.Evaluate(Strict, Version("1.1.0", Models.Metrics(candidateAuroc)), Version("1.0.0", Models.Metrics(0.80)), ModelAliases.Champion);

        Assert.True(verdict.Passed);
        Assert.Equal(approvalExpected, verdict.ApprovalReason is not null);
    }

    [Fact]
    public void Evaluate_ToChallenger_IgnoresImprovementButChecksLatency()
    {
        var verdict = PromotionPolicyEvaluator.Evaluate(Strict, Version("1.1.0", Models.Metrics(0.70, p99: 150)), Version("1.0.0", Models.Metrics(0.80)), ModelAliases.Challenger);

        Assert.Equal(["p99_latency_ms 150 is not below 100"], verdict.FailedCriteria);
        Assert.Null(verdict.ApprovalReason);
    }
}
