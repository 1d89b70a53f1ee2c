namespace Mlops.Training.Algorithms.Gbdt;

/// <summary>
/// A binary tree in flat arrays. Internal node i sends x to <see cref="Left"/> when x[Feature] &lt;= Threshold, NaN
/// to the side <see cref="MissingGoesLeft"/> names; leaves (Feature = -1) hold <see cref="Value"/> (already
/// multiplied by the learning rate).
/// </summary>
public sealed class RegressionTree
{
    public RegressionTree(int[] feature, float[] threshold, byte[] binThreshold, bool[] missingGoesLeft, int[] left, int[] right, float[] value)
    {
        Feature = feature;
        Threshold = threshold;
        BinThreshold = binThreshold;
        MissingGoesLeft = missingGoesLeft;
        Left = left;
        Right = right;
        Value = value;
    }

    public int[] Feature { get; }

    public float[] Threshold { get; }

    public byte[] BinThreshold { get; }

    public bool[] MissingGoesLeft { get; }

    public int[] Left { get; }

    public int[] Right { get; }

    public float[] Value { get; }

    public int NodeCount => Feature.Length;

    public float Predict(ReadOnlySpan<float> row)
    {
        var i = 0;
        while (Feature[i] >= 0)
        {
            var x = row[Feature[i]];
            var goLeft = float.IsNaN(x) ? MissingGoesLeft[i] : x <= Threshold[i];
            i = goLeft ? Left[i] : Right[i];
        }

        return Value[i];
    }

    internal float PredictBinned(byte[][] columns, int row)
    {
        var i = 0;
        while (Feature[i] >= 0)
        {
            var b = columns[Feature[i]][row];
            var goLeft = b == BinMapper.MissingBin ? MissingGoesLeft[i] : b <= BinThreshold[i];
            i = goLeft ? Left[i] : Right[i];
        }

        return Value[i];
    }
}
