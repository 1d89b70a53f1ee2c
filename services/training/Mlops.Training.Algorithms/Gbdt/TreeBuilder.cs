using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Mlops.Training.Algorithms.Gbdt;

/// <summary>Grows one tree leaf-wise on the current gradients; reused across rounds to recycle histogram buffers.</summary>
internal sealed class TreeBuilder
{
    private const int BinsPerFeature = 256;
    private const int ParallelWorkThreshold = 1 << 16;

    private readonly BinMapper mapper;
    private readonly byte[][] columns;
    private readonly float[] grad;
    private readonly float[] hess;
    private readonly GbdtOptions options;
    private readonly Stack<HistogramBin[]> pool = new();
    private readonly int[] buffer;
    // The bins again, row-major (row r's bins at r * features): a histogram pass reads one row's bins from one or
    // two cache lines instead of one byte in each of the feature columns.
    private readonly byte[] rowBins;
    private readonly int stride;
    private readonly ParallelOptions parallelOptions;

    public TreeBuilder(BinMapper mapper, byte[][] columns, float[] grad, float[] hess, GbdtOptions options)
    {
        this.mapper = mapper;
        this.columns = columns;
        this.grad = grad;
        this.hess = hess;
        this.options = options;
        buffer = new int[grad.Length];
        stride = columns.Length;
        rowBins = new byte[grad.Length * stride];
        for (var f = 0; f < stride; f++)
        {
            var col = columns[f];
            for (var r = 0; r < col.Length; r++)
            {
                rowBins[r * stride + f] = col[r];
            }
        }

        parallelOptions = new ParallelOptions { MaxDegreeOfParallelism = options.Parallel ? Environment.ProcessorCount : 1 };
    }

    public RegressionTree Build(int[] rows, int[] features, out List<(int Start, int End, float Value)> leafRanges)
    {
        var nodes = new NodeList();
        var open = new List<Candidate>();
        var root = new Candidate { Node = nodes.AddLeaf(), Start = 0, End = rows.Length, Depth = 0, Histogram = Rent() };
        BuildHistogram(root.Histogram, rows, 0, rows.Length, features);
        Totals(root, features[0]);
        FindSplit(root, features);
        open.Add(root);

        var leaves = 1;
        var finished = new List<Candidate>();
        while (leaves < options.MaxLeaves)
        {
            var best = -1;
            for (var i = 0; i < open.Count; i++)
            {
                if (open[i].Split.Gain > 0 && (best < 0 || open[i].Split.Gain > open[best].Split.Gain))
                {
                    best = i;
                }
            }

            if (best < 0)
            {
                break;
            }

            var parent = open[best];
            open.RemoveAt(best);
            var (left, right) = SplitNode(parent, rows, features, nodes);
            open.Add(left);
            open.Add(right);
            leaves++;
        }

        finished.AddRange(open);
        leafRanges = new List<(int, int, float)>(finished.Count);
        var lr = options.LearningRate;
        foreach (var leaf in finished)
        {
            var value = (float)(-leaf.SumG / (leaf.SumH + options.L2Regularization) * lr);
            if (!double.IsFinite(value))
            {
                value = 0;
            }

            nodes.Value[leaf.Node] = value;
            leafRanges.Add((leaf.Start, leaf.End, value));
            if (leaf.Histogram is not null)
            {
                pool.Push(leaf.Histogram);
            }
        }

        return nodes.ToTree();
    }

    private (Candidate Left, Candidate Right) SplitNode(Candidate parent, int[] rows, int[] features, NodeList nodes)
    {
        var s = parent.Split;
        var col = columns[s.Feature];
        // Stable partition keeps row order inside each child, so histograms sum in the same order every run.
        int l = parent.Start, r = 0;
        for (var i = parent.Start; i < parent.End; i++)
        {
            var row = rows[i];
            var b = col[row];
            var goLeft = b == BinMapper.MissingBin ? s.MissingGoesLeft : b <= s.BinThreshold;
            if (goLeft)
            {
                rows[l++] = row;
            }
            else
            {
                buffer[r++] = row;
            }
        }

        Array.Copy(buffer, 0, rows, l, r);
        var leftNode = nodes.AddLeaf();
        var rightNode = nodes.AddLeaf();
        nodes.MakeSplit(parent.Node, s.Feature, s.Threshold, s.BinThreshold, s.MissingGoesLeft, leftNode, rightNode);

        var left = new Candidate { Node = leftNode, Start = parent.Start, End = l, Depth = parent.Depth + 1 };
        var right = new Candidate { Node = rightNode, Start = l, End = parent.End, Depth = parent.Depth + 1 };
        left.SumG = s.LeftG; left.SumH = s.LeftH; left.Count = s.LeftCount;
        right.SumG = parent.SumG - s.LeftG; right.SumH = parent.SumH - s.LeftH; right.Count = parent.Count - s.LeftCount;

        var canSplitFurther = options.MaxDepth == 0 || parent.Depth + 1 < options.MaxDepth;
        if (!canSplitFurther)
        {
            pool.Push(parent.Histogram!);
            return (left, right);
        }

        var (small, large) = left.Count <= right.Count ? (left, right) : (right, left);
        small.Histogram = Rent();
        BuildHistogram(small.Histogram, rows, small.Start, small.End, features);
        // Sibling subtraction: the larger child's histogram is the parent's minus the smaller one's.
        large.Histogram = parent.Histogram!;
        foreach (var f in features)
        {
            var p = large.Histogram.AsSpan(f * BinsPerFeature, BinsPerFeature);
            var c = small.Histogram.AsSpan(f * BinsPerFeature, BinsPerFeature);
            for (var b = 0; b < BinsPerFeature; b++)
            {
                HistogramBin.AsVector(ref p[b]) -= HistogramBin.AsVector(ref c[b]);
            }
        }

        FindSplit(left, features);
        FindSplit(right, features);
        return (left, right);
    }

    private void BuildHistogram(HistogramBin[] histogram, int[] rows, int start, int end, int[] features)
    {
        var count = end - start;
        var threads = parallelOptions.MaxDegreeOfParallelism;
        if (options.Parallel && threads > 1 && features.Length >= threads && (long)count * features.Length >= ParallelWorkThreshold)
        {
            // Threads take disjoint blocks of features, never rows: every bin still sums its rows in node order, so a
            // parallel fit gives the same trees as a sequential one.
            Parallel.For(0, threads, parallelOptions, t =>
                BuildRows(histogram, rows, start, count, features, features.Length * t / threads, features.Length * (t + 1) / threads));
        }
        else
        {
            BuildRows(histogram, rows, start, count, features, 0, features.Length);
        }
    }

    /// <summary>
    /// Row-wise histogram pass over features[first..last): each row's gradient pair and bins are read once, and its
    /// contributions go to one bin per feature. A bin receives its rows in node order, exactly as a per-feature pass
    /// would add them, so the sums (and the trees) are the same to the last bit.
    /// </summary>
    private void BuildRows(HistogramBin[] histogram, int[] rows, int start, int count, int[] features, int first, int last)
    {
        var width = last - first;
        Span<int> offsets = width <= 256 ? stackalloc int[width] : new int[width];
        for (var j = 0; j < width; j++)
        {
            var f = features[first + j];
            histogram.AsSpan(f * BinsPerFeature, BinsPerFeature).Clear();
            offsets[j] = f * BinsPerFeature;
        }

        // Bounds: rows and gradients come from checked spans, row indices are < rows, bins are bytes and every
        // feature owns 256 histogram slots; so the unchecked reads below stay inside their arrays.
        ref var h0 = ref MemoryMarshal.GetArrayDataReference(histogram);
        ref var bins0 = ref MemoryMarshal.GetArrayDataReference(rowBins);
        ref var g0 = ref MemoryMarshal.GetArrayDataReference(grad);
        ref var s0 = ref MemoryMarshal.GetArrayDataReference(hess);
        ref var r0 = ref MemoryMarshal.GetReference(rows.AsSpan(start, count));
        ref var o0 = ref MemoryMarshal.GetReference(offsets);
        var f0 = features[first];
        var contiguous = features[first + width - 1] - f0 == width - 1;
        for (var i = 0; i < count; i++)
        {
            var row = Unsafe.Add(ref r0, i);
            // (gradient, hessian, one row, padding): the lanes are added exactly as the scalar sums would be.
            var row1 = Vector256.Create(Unsafe.Add(ref g0, row), Unsafe.Add(ref s0, row), 1.0, 0.0);
            ref var rowBin = ref Unsafe.Add(ref bins0, (nint)row * stride);
            if (contiguous)
            {
                ref var b0 = ref Unsafe.Add(ref rowBin, f0);
                ref var hf = ref Unsafe.Add(ref h0, f0 * BinsPerFeature);
                for (var j = 0; j < width; j++, hf = ref Unsafe.Add(ref hf, BinsPerFeature))
                {
                    HistogramBin.AsVector(ref Unsafe.Add(ref hf, Unsafe.Add(ref b0, j))) += row1;
                }
            }
            else
            {
                for (var j = 0; j < width; j++)
                {
                    var offset = Unsafe.Add(ref o0, j);
                    HistogramBin.AsVector(ref Unsafe.Add(ref h0, offset + Unsafe.Add(ref rowBin, offset / BinsPerFeature))) += row1;
                }
            }
        }
    }

    private static void Totals(Candidate c, int anyFeature)
    {
        var h = c.Histogram.AsSpan(anyFeature * BinsPerFeature, BinsPerFeature);
        double g = 0, hs = 0;
        var n = 0;
        foreach (ref readonly var b in h)
        {
            g += b.G;
            hs += b.H;
            n += b.Count;
        }

        c.SumG = g;
        c.SumH = hs;
        c.Count = n;
    }

    private void FindSplit(Candidate c, int[] features)
    {
        c.Split = default;
        if (c.Count < 2 * options.MinSamplesLeaf || (options.MaxDepth > 0 && c.Depth >= options.MaxDepth))
        {
            return;
        }

        var best = default(SplitInfo);
        foreach (var f in features)
        {
            var candidate = BestSplitForFeature(c, f);
            if (candidate.Gain > best.Gain)
            {
                best = candidate;
            }
        }

        c.Split = best;
    }

    private SplitInfo BestSplitForFeature(Candidate c, int f)
    {
        var h = c.Histogram.AsSpan(f * BinsPerFeature, BinsPerFeature);
        var thresholds = mapper.Thresholds[f];
        var valueBins = thresholds.Length + 1;
        var lambda = options.L2Regularization;
        var minCount = options.MinSamplesLeaf;
        var minHess = options.MinHessianLeaf;
        double g = c.SumG, hs = c.SumH;
        var n = c.Count;
        var parentScore = g * g / (hs + lambda);
        var missing = h[BinMapper.MissingBin];
        var best = default(SplitInfo);

        void Consider(double gl, double hl, int nl, bool missingLeft, byte binThreshold, float threshold, ref SplitInfo best)
        {
            var nr = n - nl;
            var hr = hs - hl;
            if (nl < minCount || nr < minCount || hl < minHess || hr < minHess)
            {
                return;
            }

            var gr = g - gl;
            var gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parentScore;
            if (gain > best.Gain)
            {
                best = new SplitInfo
                {
                    Gain = gain, Feature = f, BinThreshold = binThreshold, Threshold = threshold,
                    MissingGoesLeft = missingLeft, LeftG = gl, LeftH = hl, LeftCount = nl,
                };
            }
        }

        double gL = 0, hL = 0;
        var nL = 0;
        for (var b = 0; b < valueBins - 1; b++)
        {
            gL += h[b].G;
            hL += h[b].H;
            nL += h[b].Count;
            if (h[b].Count == 0)
            {
                // An empty bin moves no row: the same partition as the previous threshold, which was already tried.
                continue;
            }

            if (missing.Count == 0)
            {
                // No missing values seen here: send them (at prediction time) to the larger child.
                Consider(gL, hL, nL, nL >= n - nL, (byte)b, thresholds[b], ref best);
            }
            else
            {
                Consider(gL, hL, nL, false, (byte)b, thresholds[b], ref best);
                Consider(gL + missing.G, hL + missing.H, nL + missing.Count, true, (byte)b, thresholds[b], ref best);
            }
        }

        if (missing.Count > 0 && missing.Count < n)
        {
            // Known values left, missing values right.
            Consider(g - missing.G, hs - missing.H, n - missing.Count, false, BinMapper.MissingBin - 1, float.MaxValue, ref best);
        }

        return best;
    }

    private HistogramBin[] Rent() => pool.Count > 0 ? pool.Pop() : new HistogramBin[mapper.Features * BinsPerFeature];

    private sealed class Candidate
    {
        public int Node;
        public int Start;
        public int End;
        public int Depth;
        public HistogramBin[]? Histogram;
        public double SumG;
        public double SumH;
        public int Count;
        public SplitInfo Split;
    }

    private struct SplitInfo
    {
        public double Gain;
        public int Feature;
        public byte BinThreshold;
        public float Threshold;
        public bool MissingGoesLeft;
        public double LeftG;
        public double LeftH;
        public int LeftCount;
    }

    private sealed class NodeList
    {
        private readonly List<int> feature = [];
        private readonly List<float> threshold = [];
        private readonly List<byte> binThreshold = [];
        private readonly List<bool> missingLeft = [];
        private readonly List<int> left = [];
        private readonly List<int> right = [];

        public List<float> Value { get; } = [];

        public int AddLeaf()
        {
            feature.Add(-1);
            threshold.Add(0);
            binThreshold.Add(0);
            missingLeft.Add(false);
            left.Add(-1);
            right.Add(-1);
            Value.Add(0);
            return feature.Count - 1;
        }

        public void MakeSplit(int node, int f, float t, byte bt, bool ml, int l, int r)
        {
            feature[node] = f;
            threshold[node] = t;
            binThreshold[node] = bt;
            missingLeft[node] = ml;
            left[node] = l;
            right[node] = r;
        }

        public RegressionTree ToTree() =>
            new([.. feature], [.. threshold], [.. binThreshold], [.. missingLeft], [.. left], [.. right], [.. Value]);
    }
}
