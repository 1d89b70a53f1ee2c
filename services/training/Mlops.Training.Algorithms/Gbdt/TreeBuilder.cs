using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    private readonly float[] orderedGrad;
    private readonly float[] orderedHess;
    private readonly ParallelOptions parallelOptions;

    public TreeBuilder(BinMapper mapper, byte[][] columns, float[] grad, float[] hess, GbdtOptions options)
    {
        this.mapper = mapper;
        this.columns = columns;
        this.grad = grad;
        this.hess = hess;
        this.options = options;
        buffer = new int[grad.Length];
        orderedGrad = new float[grad.Length];
        orderedHess = new float[grad.Length];
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
                p[b].G -= c[b].G;
                p[b].H -= c[b].H;
                p[b].Count -= c[b].Count;
            }
        }

        FindSplit(left, features);
        FindSplit(right, features);
        return (left, right);
    }

    private void BuildHistogram(HistogramBin[] histogram, int[] rows, int start, int end, int[] features)
    {
        // Gradients gathered once into node order: each feature pass then reads them sequentially and only the
        // bin byte is a random access.
        var count = end - start;
        for (var i = 0; i < count; i++)
        {
            var row = rows[start + i];
            orderedGrad[i] = grad[row];
            orderedHess[i] = hess[row];
        }

        if (options.Parallel && (long)count * features.Length >= ParallelWorkThreshold)
        {
            Parallel.For(0, features.Length, parallelOptions, i => BuildFeature(histogram, rows, start, count, features[i]));
        }
        else
        {
            foreach (var f in features)
            {
                BuildFeature(histogram, rows, start, count, f);
            }
        }
    }

    private void BuildFeature(HistogramBin[] histogram, int[] rows, int start, int count, int feature)
    {
        var h = histogram.AsSpan(feature * BinsPerFeature, BinsPerFeature);
        h.Clear();
        ref var h0 = ref MemoryMarshal.GetReference(h);
        ref var col = ref MemoryMarshal.GetArrayDataReference(columns[feature]);
        ref var r0 = ref MemoryMarshal.GetReference(rows.AsSpan(start, count));
        ref var g0 = ref MemoryMarshal.GetReference(orderedGrad.AsSpan(0, count));
        ref var s0 = ref MemoryMarshal.GetReference(orderedHess.AsSpan(0, count));
        for (var i = 0; i < count; i++)
        {
            // Bounds were checked by the spans above; bins are bytes and the histogram has 256 slots per feature.
            ref var bin = ref Unsafe.Add(ref h0, Unsafe.Add(ref col, Unsafe.Add(ref r0, i)));
            bin.G += Unsafe.Add(ref g0, i);
            bin.H += Unsafe.Add(ref s0, i);
            bin.Count++;
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
