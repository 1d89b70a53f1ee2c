using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Drift;
using Mlops.Monitoring.Windows;

namespace Mlops.Monitoring.Tests.Windows;

public sealed class DriftWindowJudgeTests
{
    static readonly Random Random = new(5);

    static double Normal(double mean, double sd) => mean + sd * Math.Sqrt(-2 * Math.Log(1 - Random.NextDouble())) * Math.Cos(2 * Math.PI * Random.NextDouble());

    static ReferenceProfile Profile(int rows) => new()
    {
        TrainingRunId = "run",
        FeatureSetVersion = "v",
        TrainingRows = rows,
        MaxSample = 5000,
        Features = new Dictionary<string, IReadOnlyList<double>>
        {
            ["a"] = Enumerable.Range(0, rows).Select(_ => Normal(0, 1)).ToList(),
            ["b"] = Enumerable.Range(0, rows).Select(_ => Normal(10, 2)).ToList(),
            ["flag"] = Enumerable.Range(0, rows).Select(i => i % 4 == 0 ? 1.0 : 0.0).ToList(),
        },
        Predictions = Enumerable.Range(0, rows).Select(_ => Random.NextDouble()).ToList(),
    };

    static List<WindowSample> Window(int n, double shiftA, double shiftB, Func<int, IReadOnlyDictionary<string, double>>? features = null) =>
        Enumerable.Range(0, n).Select(i => new WindowSample(Random.NextDouble(), DateTimeOffset.UnixEpoch, features?.Invoke(i) ?? new Dictionary<string, double>
        {
            ["a"] = Normal(shiftA, 1),
            ["b"] = Normal(10 + shiftB, 2),
            ["flag"] = i % 4 == 0 ? 1.0 : 0.0,
        })).ToList();

    [Fact]
    public void Judge_SmallReference_UsesTestsAndFlagsTheShiftedFeatureOnly()
    {
        var verdict = DriftWindowJudge.Judge(Profile(800), Window(400, shiftA: 1, shiftB: 0), new DriftOptions());

        var byFeature = verdict.Results.ToDictionary(r => r.Feature);
        Assert.Equal(DriftMethod.KolmogorovSmirnov, byFeature["a"].Method);
        Assert.Equal(DriftMethod.ZTest, byFeature["flag"].Method);
        Assert.True(byFeature["a"].Drifted);
        Assert.False(byFeature["flag"].Drifted);
        Assert.Equal((3, 1), (verdict.EvaluatedFeatures, verdict.DriftedFeatures));
        Assert.False(verdict.DatasetDrift);
        Assert.Contains(DriftWindowJudge.PredictionFeature, byFeature.Keys);
    }

    [Fact]
    public void Judge_TwoOfThreeFeaturesShifted_DatasetDrift()
    {
        var verdict = DriftWindowJudge.Judge(Profile(3000), Window(2000, shiftA: 1, shiftB: 2), new DriftOptions());

        Assert.Equal(2, verdict.DriftedFeatures);
        Assert.True(verdict.DatasetDrift);
        Assert.All(verdict.Results.Where(r => r.Feature is "a" or "b"), r => Assert.Equal(DriftMethod.Wasserstein, r.Method));
    }

    [Fact]
    public void Judge_ModelWithOwnDatasetDriftShare_OneOfThreeDriftedIsDatasetDriftForThatModelOnly()
    {
        var options = new DriftOptions { Models = { ["sensitive"] = new DriftModelOptions { DatasetDriftShare = 0.3 } } };
        var (profile, window) = (Profile(3000), Window(2000, shiftA: 1, shiftB: 0));

        var own = DriftWindowJudge.Judge(profile, window, options, "sensitive");
        var serviceWide = DriftWindowJudge.Judge(profile, window, options, "other");

        Assert.Equal((1, 1), (own.DriftedFeatures, serviceWide.DriftedFeatures));
        Assert.True(own.DatasetDrift);
        Assert.False(serviceWide.DatasetDrift);
    }

    [Fact]
    public void Judge_ModelWithOwnMinWindowSamples_FeatureWithFewerValuesNotJudgedForThatModelOnly()
    {
        var options = new DriftOptions { Models = { ["strict"] = new DriftModelOptions { MinWindowSamples = 200 } } };
        var (profile, window) = (Profile(800), Window(100, 0, 0));

        Assert.Empty(DriftWindowJudge.Judge(profile, window, options, "strict").Results);
        Assert.Equal(3, DriftWindowJudge.Judge(profile, window, options, "other").EvaluatedFeatures);
    }

    [Fact]
    public void Judge_Override_UsesTheConfiguredMethodAndThreshold()
    {
        var options = new DriftOptions { Features = { ["a"] = new FeatureDriftOverride { Method = "psi", Threshold = 5 } } };

        var a = DriftWindowJudge.Judge(Profile(3000), Window(2000, shiftA: 1, shiftB: 0), options).Results.Single(r => r.Feature == "a");

        Assert.Equal((DriftMethod.Psi, 5.0), (a.Method, a.Threshold));
        Assert.False(a.Drifted);
        Assert.Equal(a.Psi, a.Score);
    }

    [Fact]
    public void Judge_FeatureWithTooFewValues_NotJudged()
    {
        var verdict = DriftWindowJudge.Judge(Profile(800), Window(100, 0, 0, i => i < 10 ? new Dictionary<string, double> { ["a"] = 0 } : new Dictionary<string, double>()), new DriftOptions());

        Assert.Equal([DriftWindowJudge.PredictionFeature], verdict.Results.Select(r => r.Feature));
        Assert.Equal(0, verdict.EvaluatedFeatures);
    }

    [Fact]
    public void Options_UnknownOverrideMethod_Invalid()
    {
        var options = new DriftOptions { Features = { ["a"] = new FeatureDriftOverride { Method = "kl" } } };

        Assert.False(options.IsValid(out var problem));
        Assert.Contains("Monitoring:Drift:Features:a", problem);
    }
}
