namespace Mlops.Training.Algorithms;

/// <summary>A trained model giving P(label = 1) for one row of raw features (NaN = missing).</summary>
public interface IBinaryClassifier
{
    int FeatureCount { get; }

    double PredictProbability(ReadOnlySpan<float> row);
}

/// <summary>Batch scoring over row-major data, split across cores.</summary>
public static class BinaryClassifierExtensions
{
    public static double[] PredictProbabilities(this IBinaryClassifier model, float[] features, int rows)
    {
        var columns = model.FeatureCount;
        var p = new double[rows];
        Parallel.For(0, (rows + 1023) / 1024, chunk =>
        {
            var end = Math.Min(rows, (chunk + 1) * 1024);
            for (var r = chunk * 1024; r < end; r++)
            {
                p[r] = model.PredictProbability(features.AsSpan(r * columns, columns));
            }
        });
        return p;
    }

    public static double[] PredictProbabilities(this IBinaryClassifier model, Data.TabularData data) =>
        model.PredictProbabilities(data.Features, data.Rows);
}
