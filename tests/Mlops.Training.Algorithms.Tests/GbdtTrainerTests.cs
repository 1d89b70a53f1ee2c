using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Algorithms.Gbdt;

namespace Mlops.Training.Algorithms.Tests;

public sealed class GbdtTrainerTests
{
    [Fact]
    public void Fit_LabelCarriedOnlyByMissingness_LearnsItNatively()
    {
        // y = 1 exactly when x0 is missing; x1 is noise. Only native missing-value routing can separate this.
        var rng = new Random(1);
        var n = 2000;
        var x = new float[n * 2];
        var y = new float[n];
        for (var i = 0; i < n; i++)
        {
            y[i] = rng.Next(2);
            x[i * 2] = y[i] > 0 ? float.NaN : (float)rng.NextDouble();
            x[i * 2 + 1] = (float)rng.NextDouble();
        }

        var data = new TabularData(x, y, 2);
        var model = GbdtTrainer.Fit(data, new GbdtOptions { Rounds = 10, Seed = 1 });

        Assert.Equal(1.0, BinaryMetrics.Auroc(y, model.PredictProbabilities(data)), 6);
    }

    [Fact]
    public void Fit_WithMaxDepthAndLeafLimits_TreesRespectThem()
    {
        var (train, _) = TestData.Deterioration.Split(0.5, seed: 1);
        var model = GbdtTrainer.Fit(train, new GbdtOptions { Rounds = 20, MaxLeaves = 6, MaxDepth = 3, MinSamplesLeaf = 50, Seed = 1 });

        foreach (var tree in model.Trees)
        {
            Assert.True(tree.Feature.Count(f => f < 0) <= 6);
            Assert.True(Depth(tree, 0) <= 3);
        }

        Assert.Contains(model.Trees, t => t.Feature.Count(f => f < 0) == 6);
    }

    [Fact]
    public void Fit_EveryLeaf_HoldsAtLeastMinSamplesLeafTrainingRows()
    {
        var (train, _) = TestData.Deterioration.Split(0.5, seed: 1);
        const int minLeaf = 200;
        var model = GbdtTrainer.Fit(train, new GbdtOptions { Rounds = 5, MaxLeaves = 31, MinSamplesLeaf = minLeaf, Seed = 1 });

        foreach (var tree in model.Trees)
        {
            var counts = new Dictionary<int, int>();
            for (var r = 0; r < train.Rows; r++)
            {
                var leaf = Leaf(tree, train.Row(r));
                counts[leaf] = counts.GetValueOrDefault(leaf) + 1;
            }

            Assert.All(counts.Values, c => Assert.True(c >= minLeaf, $"leaf with {c} rows"));
        }
    }

    [Fact]
    public void Fit_WithEarlyStoppingOnValidation_StopsBeforeAllRoundsAndKeepsTheBest()
    {
        var (train, valid) = TestData.Deterioration.Split(0.3, seed: 3);
        // A high learning rate over-fits quickly, so validation loss turns up well before 500 rounds.
        var options = new GbdtOptions { Rounds = 500, LearningRate = 0.5, EarlyStoppingRounds = 10, Seed = 1 };
        var model = GbdtTrainer.Fit(train, options, valid);
        var full = GbdtTrainer.Fit(train, options with { EarlyStoppingRounds = 0 }, valid);

        Assert.True(model.Trees.Count < 500, $"{model.Trees.Count} trees");
        Assert.True(
            BinaryMetrics.LogLoss(valid.Labels, model.PredictProbabilities(valid)) < BinaryMetrics.LogLoss(valid.Labels, full.PredictProbabilities(valid)));
    }

    [Fact]
    public void Fit_WithRowAndColumnSubsampling_DeterministicPerSeedAndStillLearns()
    {
        var (train, test) = TestData.Deterioration.Split(0.3, seed: 3);
        var options = new GbdtOptions { Rounds = 60, RowSubsample = 0.5, ColumnSubsample = 0.5, Seed = 42 };

        var a = GbdtTrainer.Fit(train, options).PredictProbabilities(test);
        var b = GbdtTrainer.Fit(train, options).PredictProbabilities(test);
        var c = GbdtTrainer.Fit(train, options with { Seed = 43 }).PredictProbabilities(test);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.True(BinaryMetrics.Auroc(test.Labels, a) > 0.8);
    }

    [Fact]
    public void Fit_InvalidOptions_ThrowsNamingEveryBadSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => GbdtTrainer.Fit(TestData.BreastCancer, new GbdtOptions { Rounds = 0, LearningRate = 2, RowSubsample = 0 }));

        Assert.Contains(nameof(GbdtOptions.Rounds), ex.Message);
        Assert.Contains(nameof(GbdtOptions.LearningRate), ex.Message);
        Assert.Contains(nameof(GbdtOptions.RowSubsample), ex.Message);
    }

    private static int Depth(RegressionTree t, int node) =>
        t.Feature[node] < 0 ? 0 : 1 + Math.Max(Depth(t, t.Left[node]), Depth(t, t.Right[node]));

    private static int Leaf(RegressionTree t, ReadOnlySpan<float> row)
    {
        var i = 0;
        while (t.Feature[i] >= 0)
        {
            var x = row[t.Feature[i]];
            i = (float.IsNaN(x) ? t.MissingGoesLeft[i] : x <= t.Threshold[i]) ? t.Left[i] : t.Right[i];
        }

        return i;
    }
}
