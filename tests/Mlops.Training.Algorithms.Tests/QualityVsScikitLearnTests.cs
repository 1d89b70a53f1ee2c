using Mlops.Testing;
using Xunit.Abstractions;
using System.Globalization;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Algorithms.Gbdt;
using Mlops.Training.Algorithms.Linear;

namespace Mlops.Training.Algorithms.Tests;

/// <summary>
/// The quality bar: on the same split and comparable settings, AUROC within 0.01 of scikit-learn's
/// HistGradientBoostingClassifier and LogisticRegression (fitted here by Debian's /usr/bin/python3).
/// </summary>
public sealed class QualityVsScikitLearnTests(ITestOutputHelper output)
{
    private const double Tolerance = 0.01;

    private static readonly GbdtOptions Boosting = new()
    {
        Rounds = 100, LearningRate = 0.1, MaxLeaves = 31, MinSamplesLeaf = 20, L2Regularization = 0, Seed = 3,
    };

    private static readonly LogisticRegressionOptions Logistic = new() { L2 = 1.0 };

    private const string Script = """
        import json, sys
        import numpy as np
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.metrics import roc_auc_score
        d = sys.argv[1]; s = json.loads(sys.argv[2])
        tr = np.genfromtxt(d + "/train.csv", delimiter=",", skip_header=1)
        te = np.genfromtxt(d + "/test.csv", delimiter=",", skip_header=1)
        Xtr, ytr, Xte, yte = tr[:, :-1], tr[:, -1], te[:, :-1], te[:, -1]
        hgb = HistGradientBoostingClassifier(max_iter=s["rounds"], learning_rate=s["lr"], max_leaf_nodes=s["leaves"],
            min_samples_leaf=s["min_leaf"], l2_regularization=s["l2"], max_bins=255, early_stopping=False, random_state=0)
        hgb.fit(Xtr, ytr)
        lr = make_pipeline(SimpleImputer(strategy="mean"), StandardScaler(), LogisticRegression(C=s["C"], max_iter=5000))
        lr.fit(Xtr, ytr)
        print(json.dumps({"hgb": roc_auc_score(yte, hgb.predict_proba(Xte)[:, 1]),
                          "lr": roc_auc_score(yte, lr.predict_proba(Xte)[:, 1])}))
        """;

    public static TheoryData<string> DataSets => new() { "breast_cancer", "deterioration" };

    [Theory]
    [MemberData(nameof(DataSets))]
    public void BoostingAndLogisticRegression_OnSameSplitAsScikitLearn_AurocWithinOneHundredth(string dataSet)
    {
        var data = dataSet == "breast_cancer" ? TestData.BreastCancer : TestData.Deterioration;
        var (train, test) = data.Split(0.3, seed: 11);
        var dir = TestData.WriteSplit(train, test);
        try
        {
            var settings = string.Create(CultureInfo.InvariantCulture,
                $$"""{"rounds": {{Boosting.Rounds}}, "lr": {{Boosting.LearningRate}}, "leaves": {{Boosting.MaxLeaves}}, "min_leaf": {{Boosting.MinSamplesLeaf}}, "l2": {{Boosting.L2Regularization}}, "C": {{1 / Logistic.L2}}}""");
            var reference = ReferencePython.Run(Script, dir, settings);

            var gbdt = GbdtTrainer.Fit(train, Boosting);
            var lr = LogisticRegressionTrainer.Fit(train, Logistic);
            var gbdtAuroc = BinaryMetrics.Auroc(test.Labels, gbdt.PredictProbabilities(test));
            var lrAuroc = BinaryMetrics.Auroc(test.Labels, lr.PredictProbabilities(test));

            var sklearnGbdt = reference.GetProperty("hgb").GetDouble();
            var sklearnLr = reference.GetProperty("lr").GetDouble();
            output.WriteLine($"{dataSet}: GBDT {gbdtAuroc:F4} vs HGB {sklearnGbdt:F4}; LR {lrAuroc:F4} vs scikit-learn {sklearnLr:F4}");
            Assert.True(Math.Abs(gbdtAuroc - sklearnGbdt) <= Tolerance, $"{dataSet}: GBDT AUROC {gbdtAuroc:F4} vs scikit-learn {sklearnGbdt:F4}");
            Assert.True(Math.Abs(lrAuroc - sklearnLr) <= Tolerance, $"{dataSet}: LR AUROC {lrAuroc:F4} vs scikit-learn {sklearnLr:F4}");
            // Both must actually have learned something: the scenario is built to be well above chance.
            Assert.True(gbdtAuroc > 0.75 && lrAuroc > 0.7, $"{dataSet}: GBDT {gbdtAuroc:F4}, LR {lrAuroc:F4}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
