using System.Globalization;
using Mlops.Training.Algorithms.Data;

namespace Mlops.Training.Algorithms.Tests;

/// <summary>The data sets the quality tests use: a real one shipped with Debian's scikit-learn, and the synthetic scenario.</summary>
internal static class TestData
{
    public const string BreastCancerCsv = "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv";

    private static readonly Lazy<TabularData> LazyBreastCancer = new(LoadBreastCancer);
    private static readonly Lazy<TabularData> LazyDeterioration = new(() => DeteriorationScenario.Generate(20_000, seed: 7, features: 20));

    public static TabularData BreastCancer => LazyBreastCancer.Value;

    public static TabularData Deterioration => LazyDeterioration.Value;

    /// <summary>Writes both sides of a split to a fresh folder so the reference implementation fits the same rows.</summary>
    public static string WriteSplit(TabularData train, TabularData test)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"mlops-split-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        CsvData.Write(train, Path.Combine(dir, "train.csv"));
        CsvData.Write(test, Path.Combine(dir, "test.csv"));
        return dir;
    }

    // sklearn's file: a "rows,columns,class names" first line, then 30 features and the 0/1 target per row.
    private static TabularData LoadBreastCancer()
    {
        var lines = File.ReadAllLines(BreastCancerCsv).Skip(1).Where(l => l.Length > 0).ToArray();
        var columns = lines[0].Split(',').Length - 1;
        var x = new float[lines.Length * columns];
        var y = new float[lines.Length];
        for (var r = 0; r < lines.Length; r++)
        {
            var cells = lines[r].Split(',');
            for (var j = 0; j < columns; j++)
            {
                x[r * columns + j] = float.Parse(cells[j], CultureInfo.InvariantCulture);
            }

            y[r] = float.Parse(cells[columns], CultureInfo.InvariantCulture);
        }

        return new TabularData(x, y, columns);
    }
}
