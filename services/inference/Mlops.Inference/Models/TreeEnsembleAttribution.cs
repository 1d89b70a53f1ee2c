using Mlops.Onnx.Ir;

namespace Mlops.Inference.Models;

/// <summary>
/// Path attribution (Saabas) for a graph whose log-odds come straight from one <c>ai.onnx.ml</c>
/// TreeEnsembleRegressor (SUM, no post transform) into Sigmoid, as the training library exports boosted trees and
/// bagged ensembles of them (one target per member). Each node's expected value is the unweighted mean of the leaves
/// below it, because the exported trees carry no training cover; walking a row's path, the change in expected value
/// at every split is credited to the split's feature. Per member the contributions plus the bias (base value + the
/// trees' root expected values) equal that member's raw score exactly; the service reports the mean over members,
/// which therefore adds up to the mean of the members' log-odds.
/// </summary>
public sealed class TreeEnsembleAttribution
{
    readonly Tree[] _trees;
    readonly double[] _bias;

    TreeEnsembleAttribution(Tree[] trees, double[] bias)
    {
        _trees = trees;
        _bias = bias;
    }

    /// <summary>Number of ensemble members (targets of the tree ensemble).</summary>
    public int Members => _bias.Length;

    /// <summary>
    /// Reads the tree ensemble of an ONNX model; null when the graph's log-odds do not come from one tree ensemble
    /// alone (e.g. linear members), so path attribution does not describe it.
    /// </summary>
    public static TreeEnsembleAttribution? TryCreate(ModelProto model)
    {
        var nodes = model.Graph?.Node;
        if (nodes is null)
        {
            return null;
        }

        var ensembles = nodes.Where(n => n.OpType == "TreeEnsembleRegressor").ToList();
        if (ensembles.Count != 1 || ensembles[0].Output.Count != 1)
        {
            return null;
        }

        var logits = ensembles[0].Output[0];
        if (!nodes.Any(n => n.OpType == "Sigmoid" && n.Input.Count == 1 && n.Input[0] == logits)
            || nodes.Any(n => n.OpType != "Sigmoid" && n.Input.Contains(logits)))
        {
            return null;
        }

        var a = ensembles[0].Attribute.ToDictionary(x => x.Name, StringComparer.Ordinal);
        if (Text(a, "aggregate_function", "SUM") != "SUM" || Text(a, "post_transform", "NONE") != "NONE"
            || a.ContainsKey("nodes_hitrates") || a.ContainsKey("nodes_values_as_tensor"))
        {
            return null;
        }

        var targets = a.TryGetValue("n_targets", out var n) ? (int)n.I : 1;
        var bias = new double[targets];
        if (a.TryGetValue("base_values", out var baseValues))
        {
            for (var t = 0; t < targets && t < baseValues.Floats.Count; t++)
            {
                bias[t] = baseValues.Floats[t];
            }
        }

        var trees = Tree.Build(a, targets);
        if (trees is null)
        {
            return null;
        }

        foreach (var tree in trees)
        {
            bias[tree.Target] += tree.Expected[tree.Root];
        }

        return new TreeEnsembleAttribution(trees, bias);
    }

    /// <summary>
    /// Contributions per input column and the bias, both as the mean over members; Σ contributions + bias equals the
    /// mean of the members' raw scores (log-odds).
    /// </summary>
    public (double[] Contributions, double Bias) Explain(ReadOnlySpan<float> row)
    {
        var contributions = new double[row.Length];
        foreach (var tree in _trees)
        {
            tree.Attribute(row, contributions);
        }

        for (var i = 0; i < contributions.Length; i++)
        {
            contributions[i] /= Members;
        }

        return (contributions, _bias.Average());
    }

    static string Text(Dictionary<string, AttributeProto> a, string name, string fallback) =>
        a.TryGetValue(name, out var v) ? v.S.ToStringUtf8() : fallback;

    sealed class Tree
    {
        public required int Target { get; init; }

        public required int Root { get; init; }

        public required long[] Feature { get; init; }

        public required float[] Threshold { get; init; }

        public required int[] True { get; init; }

        public required int[] False { get; init; }

        public required bool[] MissingTrue { get; init; }

        public required bool[] Leaf { get; init; }

        public required double[] Expected { get; init; }

        public void Attribute(ReadOnlySpan<float> row, double[] contributions)
        {
            var i = Root;
            while (!Leaf[i])
            {
                var next = Next(i, row[(int)Feature[i]]);
                contributions[Feature[i]] += Expected[next] - Expected[i];
                i = next;
            }
        }

        int Next(int i, float x) => (float.IsNaN(x) ? MissingTrue[i] : x <= Threshold[i]) ? True[i] : False[i];

        /// <summary>Flat per-tree arrays indexed by position; null for a layout this class does not handle.</summary>
        public static Tree[]? Build(Dictionary<string, AttributeProto> a, int targets)
        {
            string[] required = ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values", "nodes_truenodeids", "nodes_falsenodeids", "target_treeids", "target_nodeids", "target_ids", "target_weights"];
            if (required.Any(r => !a.ContainsKey(r)))
            {
                return null;
            }

            var treeIds = a["nodes_treeids"].Ints;
            var nodeIds = a["nodes_nodeids"].Ints;
            var featureIds = a["nodes_featureids"].Ints;
            var modes = a["nodes_modes"].Strings;
            var values = a["nodes_values"].Floats;
            var trueIds = a["nodes_truenodeids"].Ints;
            var falseIds = a["nodes_falsenodeids"].Ints;
            var missing = a.TryGetValue("nodes_missing_value_tracks_true", out var m) ? m.Ints : null;
            var count = treeIds.Count;
            if (nodeIds.Count != count || featureIds.Count != count || modes.Count != count || values.Count != count
                || trueIds.Count != count || falseIds.Count != count || (missing is not null && missing.Count != count))
            {
                return null;
            }

            // Position of every (tree, node) so that true/false ids resolve to array slots.
            var slots = new Dictionary<(long Tree, long Node), int>(count);
            for (var i = 0; i < count; i++)
            {
                slots[(treeIds[i], nodeIds[i])] = i;
            }

            var leafValue = new double[count];
            var leafTarget = new int[count];
            Array.Fill(leafTarget, -1);
            var targetTrees = a["target_treeids"].Ints;
            var targetNodes = a["target_nodeids"].Ints;
            var targetIds = a["target_ids"].Ints;
            var weights = a["target_weights"].Floats;
            for (var k = 0; k < targetTrees.Count; k++)
            {
                if (!slots.TryGetValue((targetTrees[k], targetNodes[k]), out var slot) || targetIds[k] < 0 || targetIds[k] >= targets
                    || (leafTarget[slot] >= 0 && leafTarget[slot] != targetIds[k]))
                {
                    return null;
                }

                leafTarget[slot] = (int)targetIds[k];
                leafValue[slot] += weights[k];
            }

            var feature = featureIds.ToArray();
            var threshold = values.ToArray();
            var leaf = new bool[count];
            var trueSlot = new int[count];
            var falseSlot = new int[count];
            var missingTrue = new bool[count];
            for (var i = 0; i < count; i++)
            {
                var mode = modes[i].ToStringUtf8();
                leaf[i] = mode == "LEAF";
                if (leaf[i])
                {
                    continue;
                }

                if (mode != "BRANCH_LEQ"
                    || !slots.TryGetValue((treeIds[i], trueIds[i]), out trueSlot[i])
                    || !slots.TryGetValue((treeIds[i], falseIds[i]), out falseSlot[i]))
                {
                    return null;
                }

                missingTrue[i] = missing is not null && missing[i] != 0;
            }

            // Expected value = unweighted mean of the leaves below (no cover in the model); sums and leaf counts
            // come up from the leaves, computed once per node.
            var sum = new double[count];
            var leaves = new int[count];
            var done = new bool[count];
            void Resolve(int i)
            {
                if (done[i])
                {
                    return;
                }

                if (leaf[i])
                {
                    sum[i] = leafValue[i];
                    leaves[i] = 1;
                }
                else
                {
                    Resolve(trueSlot[i]);
                    Resolve(falseSlot[i]);
                    sum[i] = sum[trueSlot[i]] + sum[falseSlot[i]];
                    leaves[i] = leaves[trueSlot[i]] + leaves[falseSlot[i]];
                }

                done[i] = true;
            }

            var expected = new double[count];
            var trees = new List<Tree>();
            foreach (var treeId in treeIds.Distinct())
            {
                if (!slots.TryGetValue((treeId, 0), out var root))
                {
                    return null;
                }

                Resolve(root);
                var target = -1;
                for (var i = 0; i < count; i++)
                {
                    if (treeIds[i] == treeId && leaf[i])
                    {
                        if (leafTarget[i] >= 0 && target >= 0 && leafTarget[i] != target)
                        {
                            return null;
                        }

                        target = leafTarget[i] >= 0 ? leafTarget[i] : target;
                    }
                }

                trees.Add(new Tree
                {
                    Target = Math.Max(target, 0),
                    Root = root,
                    Feature = feature,
                    Threshold = threshold,
                    True = trueSlot,
                    False = falseSlot,
                    MissingTrue = missingTrue,
                    Leaf = leaf,
                    Expected = expected,
                });
            }

            for (var i = 0; i < count; i++)
            {
                if (done[i])
                {
                    expected[i] = sum[i] / leaves[i];
                }
            }

            return [.. trees];
        }
    }
}
