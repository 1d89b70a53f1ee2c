using Mlops.Training.Algorithms.Ensembles;
using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Algorithms.Gbdt;
using Mlops.Training.Algorithms.Linear;

namespace Mlops.Training.Algorithms.Tests;

public sealed class BaggedEnsembleTests
{
    [Fact]
    public void FitBoosted_DefaultTenMembers_MeanIsMemberAverageAndSpreadIsPositive()
    {
        var (train, test) = TestData.Deterioration.Split(0.3, seed: 5);
        var ensemble = BaggedEnsembleTrainer.FitBoosted(train, new GbdtOptions { Rounds = 30 }, new EnsembleOptions { Seed = 2 });

        Assert.Equal(10, ensemble.Members.Count);
        var row = test.Row(0).ToArray();
        var (mean, std) = ensemble.Predict(row);
        var members = ensemble.Members.Select(m => m.PredictProbability(row)).ToArray();
        Assert.Equal(members.Average(), mean, 12);
        Assert.Equal(Math.Sqrt(members.Average(p => (p - mean) * (p - mean))), std, 12);
        // Bootstrap samples with different seeds must give different members.
        Assert.True(members.Distinct().Count() > 1);
        Assert.True(BinaryMetrics.Auroc(test.Labels, ensemble.PredictProbabilities(test)) > 0.8);
    }

    [Fact]
    public void FitLogistic_SmallTrainingSet_SpreadShrinksWithMoreData()
    {
        // Uncertainty must mean something: members fitted on 200 rows disagree more than on 10,000.
        var (_, test) = TestData.Deterioration.Split(0.2, seed: 6);
        var small = BaggedEnsembleTrainer.FitLogistic(TestData.Deterioration.Select(Enumerable.Range(0, 200).ToArray()), new LogisticRegressionOptions(), new EnsembleOptions { Seed = 1 });
        var large = BaggedEnsembleTrainer.FitLogistic(TestData.Deterioration.Select(Enumerable.Range(0, 10_000).ToArray()), new LogisticRegressionOptions(), new EnsembleOptions { Seed = 1 });

        double MeanStd(BaggedEnsemble e) => Enumerable.Range(0, 500).Average(r => e.Predict(test.Row(r)).StandardDeviation);

        Assert.True(MeanStd(small) > 2 * MeanStd(large), $"small {MeanStd(small):F4}, large {MeanStd(large):F4}");
    }
}
