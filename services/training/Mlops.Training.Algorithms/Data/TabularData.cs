namespace Mlops.Training.Algorithms.Data;

/// <summary>
/// A dense binary-classification data set: row-major float features (NaN = missing) and 0/1 labels.
/// </summary>
public sealed class TabularData
{
    public TabularData(float[] features, float[] labels, int columns, IReadOnlyList<string>? columnNames = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (columns <= 0 || features.Length != labels.Length * columns)
        {
            throw new ArgumentException($"features has {features.Length} values, expected {labels.Length} rows × {columns} columns.", nameof(features));
        }

        Features = features;
        Labels = labels;
        Columns = columns;
        ColumnNames = columnNames ?? Enumerable.Range(0, columns).Select(i => $"f{i}").ToArray();
    }

    public float[] Features { get; }

    public float[] Labels { get; }

    public int Rows => Labels.Length;

    public int Columns { get; }

    public IReadOnlyList<string> ColumnNames { get; }

    public ReadOnlySpan<float> Row(int row) => Features.AsSpan(row * Columns, Columns);

    /// <summary>A copy holding the given rows in the given order (duplicates allowed, for bootstrap samples).</summary>
    public TabularData Select(ReadOnlySpan<int> rows)
    {
        var f = new float[rows.Length * Columns];
        var y = new float[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            Row(rows[i]).CopyTo(f.AsSpan(i * Columns, Columns));
            y[i] = Labels[rows[i]];
        }

        return new TabularData(f, y, Columns, ColumnNames);
    }

    /// <summary>Deterministic shuffled split; the same seed always gives the same rows on each side.</summary>
    public (TabularData Train, TabularData Test) Split(double testFraction, int seed)
    {
        var order = Enumerable.Range(0, Rows).ToArray();
        new Random(seed).Shuffle(order);
        var testCount = (int)Math.Round(Rows * testFraction);
        return (Select(order.AsSpan(testCount)), Select(order.AsSpan(0, testCount)));
    }
}
