using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Algorithms.Gbdt;
using Mlops.Training.Algorithms.Search;

namespace Mlops.Training.Algorithms.Tests;

public sealed class HyperparameterSearchTests
{
    private static readonly SearchSpace Space = new(
        new ChoiceDomain("max_leaves", [4, 31]),
        new RangeDomain("learning_rate", 0.01, 0.3, Log: true, GridPoints: 3),
        new RangeDomain("min_samples_leaf", 5, 100, Integer: true, GridPoints: 2));

    [Fact]
    public void Grid_DeclaredSpace_EveryCombinationOnceInOrder()
    {
        var trials = HyperparameterSearch.Grid(Space);

        Assert.Equal(2 * 3 * 2, trials.Count);
        Assert.Equal(trials.Count, trials.Select(t => string.Join(",", t.Parameters.Values)).Distinct().Count());
        Assert.Equal(4, trials[0].Parameters["max_leaves"]);
        Assert.Equal(0.01, trials[0].Parameters["learning_rate"], 12);
        Assert.Equal(0.3, trials[^1].Parameters["learning_rate"], 12);
        Assert.Equal(100, trials[^1].Parameters["min_samples_leaf"]);
    }

    [Fact]
    public void Random_SameSeed_SameTrialsWithinBounds()
    {
        var a = HyperparameterSearch.Random(Space, 20, seed: 3);
        var b = HyperparameterSearch.Random(Space, 20, seed: 3);

        Assert.Equal(a.Select(t => t.ToString()), b.Select(t => t.ToString()));
        Assert.All(a, t =>
        {
            Assert.InRange(t.Parameters["learning_rate"], 0.01, 0.3);
            Assert.Equal(Math.Round(t.Parameters["min_samples_leaf"]), t.Parameters["min_samples_leaf"]);
            Assert.Contains(t.Parameters["max_leaves"], new[] { 4.0, 31.0 });
        });
    }

    [Fact]
    public void Run_BoostingOnValidationSplit_ReportsEveryTrialAndPicksBestValidationAuroc()
    {
        var (train, validation) = TestData.Deterioration.Split(0.3, seed: 8);
        var observer = new RecordingObserver();
        var trials = HyperparameterSearch.Random(Space, 4, seed: 1);

        var result = HyperparameterSearch.Run(trials, (trial, _) =>
        {
            var model = GbdtTrainer.Fit(train, HyperparameterSearch.Apply(new GbdtOptions { Rounds = 30, Seed = 1 }, trial.Parameters));
            var auroc = BinaryMetrics.Auroc(validation.Labels, model.PredictProbabilities(validation));
            return new TrialResult(trial, auroc, new Dictionary<string, double> { ["auroc"] = auroc });
        }, observer: observer);

        Assert.Equal(trials.Select(t => t.Index), observer.Started.Select(t => t.Index));
        Assert.Equal(4, observer.Completed.Count);
        Assert.Equal(result.Trials.Max(t => t.Score), result.Best.Score);
        Assert.True(result.Best.Score > 0.8);
    }

    [Fact]
    public void Apply_UnknownParameter_Throws() =>
        Assert.Throws<ArgumentException>(() => HyperparameterSearch.Apply(new GbdtOptions(), new Dictionary<string, double> { ["leaves"] = 3 }));

    private sealed class RecordingObserver : ITrialObserver
    {
        public List<Trial> Started { get; } = [];

        public List<TrialResult> Completed { get; } = [];

        public void TrialStarted(Trial trial) => Started.Add(trial);

        public void TrialCompleted(TrialResult result) => Completed.Add(result);
    }
}
