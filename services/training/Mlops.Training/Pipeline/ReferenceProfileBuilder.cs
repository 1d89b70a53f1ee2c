using Mlops.Contracts.Monitoring;
using Mlops.Training.Algorithms.Data;

namespace Mlops.Training.Pipeline;

/// <summary>
/// Builds the run's <c>reference-profile.json</c>: the training rows' values per feature and the test rows' predicted
/// probabilities, each thinned to an evenly spaced sample (rows are in time order, so the sample spans the whole period).
/// Drift monitoring compares production windows with it.
/// </summary>
public static class ReferenceProfileBuilder
{
    /// <summary>Most values kept per feature: enough for every drift statistic, a few hundred kB per version.</summary>
    public const int MaxSample = 5_000;

    public static ReferenceProfile Build(string runId, string featureSetVersion, TabularData train, double[] testProbabilities)
    {
        var features = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);
        for (var c = 0; c < train.Columns; c++)
        {
            var values = new List<double>(train.Rows);
            for (var r = 0; r < train.Rows; r++)
            {
                var v = train.Row(r)[c];
                if (!float.IsNaN(v))
                {
                    values.Add(v);
                }
            }

            features[train.ColumnNames[c]] = Thin(values);
        }

        return new ReferenceProfile
        {
            TrainingRunId = runId,
            FeatureSetVersion = featureSetVersion,
            TrainingRows = train.Rows,
            MaxSample = MaxSample,
            Features = features,
            Predictions = Thin(testProbabilities.Where(double.IsFinite).ToList()),
        };
    }

    static IReadOnlyList<double> Thin(IReadOnlyList<double> values)
    {
        if (values.Count <= MaxSample)
        {
            return values.ToArray();
        }

        var sample = new double[MaxSample];
        for (var i = 0; i < MaxSample; i++)
        {
            sample[i] = values[(int)((long)i * values.Count / MaxSample)];
        }

        return sample;
    }
}
