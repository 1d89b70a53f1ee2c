namespace Mlops.Training.Algorithms.Gbdt;

/// <summary>A boosted tree ensemble for binary classification: probability = sigmoid(base + Σ trees).</summary>
public sealed class GbdtModel : IBinaryClassifier
{
    public GbdtModel(int featureCount, float baseScore, IReadOnlyList<RegressionTree> trees)
    {
        FeatureCount = featureCount;
        BaseScore = baseScore;
        Trees = trees;
    }

    public int FeatureCount { get; }

    public float BaseScore { get; }

    public IReadOnlyList<RegressionTree> Trees { get; }

    public double PredictRaw(ReadOnlySpan<float> row)
    {
        double sum = BaseScore;
        foreach (var t in Trees)
        {
            sum += t.Predict(row);
        }

        return sum;
    }

    public double PredictProbability(ReadOnlySpan<float> row) => 1.0 / (1.0 + Math.Exp(-PredictRaw(row)));
}
