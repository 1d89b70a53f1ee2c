using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Mlops.Training.Algorithms.Data;

namespace Mlops.Training.Algorithms.Gbdt;

/// <summary>
/// Histogram gradient boosting for binary log-loss: byte-binned features, leaf-wise (best-first) growth, the
/// sibling-subtraction trick, native missing-value routing, row/column subsampling and early stopping.
/// </summary>
public static class GbdtTrainer
{
    public static GbdtModel Fit(TabularData train, GbdtOptions options, TabularData? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        using var activity = TrainingTelemetry.Source.StartActivity("gbdt.fit");
        var mapper = BinMapper.Fit(train.Features, train.Rows, train.Columns, options.MaxBins, options.Seed);
        var columns = mapper.Transform(train.Features, train.Rows);
        var validColumns = validation is null ? null : mapper.Transform(validation.Features, validation.Rows);
        return FitBinned(mapper, columns, train.Labels, validColumns, validation?.Labels, options);
    }

    internal static GbdtModel FitBinned(
        BinMapper mapper, byte[][] columns, float[] labels, byte[][]? validColumns, float[]? validLabels, GbdtOptions options)
    {
        var n = labels.Length;
        var rng = new Random(options.Seed);
        var mean = labels.Average(v => (double)v);
        mean = Math.Clamp(mean, 1e-12, 1 - 1e-12);
        var baseScore = (float)Math.Log(mean / (1 - mean));

        var raw = new float[n];
        Array.Fill(raw, baseScore);
        var prob = new float[n];
        var grad = new float[n];
        var hess = new float[n];
        var validRaw = validLabels is null ? null : Enumerable.Repeat(baseScore, validLabels.Length).ToArray();

        var builder = new TreeBuilder(mapper, columns, grad, hess, options);
        var trees = new List<RegressionTree>(options.Rounds);
        var bestLoss = double.PositiveInfinity;
        var bestRounds = 0;
        for (var round = 0; round < options.Rounds; round++)
        {
            TensorPrimitives.Sigmoid(raw, prob);
            TensorPrimitives.Subtract(prob, labels, grad);
            TensorPrimitives.Multiply(prob, prob, hess);
            TensorPrimitives.Subtract(prob, hess, hess);

            var rows = SampleRows(n, options.RowSubsample, rng);
            var features = SampleFeatures(mapper.Features, options.ColumnSubsample, rng);
            var tree = builder.Build(rows, features, out var leafRanges);
            trees.Add(tree);

            if (options.RowSubsample >= 1.0)
            {
                foreach (var (start, end, value) in leafRanges)
                {
                    for (var i = start; i < end; i++)
                    {
                        raw[rows[i]] += value;
                    }
                }
            }
            else
            {
                AddTree(tree, columns, raw, options.Parallel);
            }

            if (validRaw is not null && validColumns is not null && validLabels is not null)
            {
                AddTree(tree, validColumns, validRaw, options.Parallel);
                if (options.EarlyStoppingRounds > 0)
                {
                    var loss = LogLoss(validRaw, validLabels);
                    if (loss < bestLoss - options.EarlyStoppingTolerance)
                    {
                        bestLoss = loss;
                        bestRounds = trees.Count;
                    }
                    else if (trees.Count - bestRounds >= options.EarlyStoppingRounds)
                    {
                        break;
                    }
                }
            }
        }

        if (options.EarlyStoppingRounds > 0 && validRaw is not null && bestRounds > 0)
        {
            trees.RemoveRange(bestRounds, trees.Count - bestRounds);
        }

        return new GbdtModel(mapper.Features, baseScore, trees);
    }

    private static void AddTree(RegressionTree tree, byte[][] columns, float[] raw, bool parallel)
    {
        const int chunk = 4096;
        var chunks = (raw.Length + chunk - 1) / chunk;
        var po = new ParallelOptions { MaxDegreeOfParallelism = parallel ? Environment.ProcessorCount : 1 };
        Parallel.For(0, chunks, po, c =>
        {
            var end = Math.Min(raw.Length, (c + 1) * chunk);
            for (var r = c * chunk; r < end; r++)
            {
                raw[r] += tree.PredictBinned(columns, r);
            }
        });
    }

    private static double LogLoss(float[] raw, float[] labels)
    {
        double sum = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            // log(1 + e^-z) for y = 1, log(1 + e^z) for y = 0, computed without overflow.
            double z = labels[i] > 0.5f ? raw[i] : -raw[i];
            sum += z > 0 ? Math.Log(1 + Math.Exp(-z)) : -z + Math.Log(1 + Math.Exp(z));
        }

        return sum / raw.Length;
    }

    private static int[] SampleRows(int n, double fraction, Random rng)
    {
        var all = new int[n];
        for (var i = 0; i < n; i++)
        {
            all[i] = i;
        }

        if (fraction >= 1.0)
        {
            return all;
        }

        var k = Math.Max(1, (int)Math.Round(n * fraction));
        for (var i = 0; i < k; i++)
        {
            var j = rng.Next(i, n);
            (all[i], all[j]) = (all[j], all[i]);
        }

        var rows = all[..k];
        Array.Sort(rows);
        return rows;
    }

    private static int[] SampleFeatures(int d, double fraction, Random rng)
    {
        var all = Enumerable.Range(0, d).ToArray();
        if (fraction >= 1.0)
        {
            return all;
        }

        var k = Math.Max(1, (int)Math.Round(d * fraction));
        for (var i = 0; i < k; i++)
        {
            var j = rng.Next(i, d);
            (all[i], all[j]) = (all[j], all[i]);
        }

        var features = all[..k];
        Array.Sort(features);
        return features;
    }
}

/// <summary>
/// One histogram bin as four doubles (the count is a double, exact far beyond any row count, and the fourth lane is
/// padding), so adding a row or subtracting a sibling is one 256-bit load, add and store instead of three of each.
/// </summary>
[DebuggerDisplay("G={G} H={H} C={Count}")]
[StructLayout(LayoutKind.Sequential)]
internal struct HistogramBin
{
    public double G;
    public double H;
    public double N;
#pragma warning disable CS0169 // Padding to 32 bytes: never read, always zero.
    private readonly double padding;
#pragma warning restore CS0169

    public readonly int Count => (int)N;

    public static ref Vector256<double> AsVector(ref HistogramBin bin) => ref Unsafe.As<HistogramBin, Vector256<double>>(ref bin);
}
