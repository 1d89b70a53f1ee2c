using Mlops.Contracts.Models;
using Mlops.Onnx;
using Mlops.Onnx.Ir;
using Mlops.Training.Algorithms.Ensembles;
using Mlops.Training.Algorithms.Gbdt;
using Mlops.Training.Algorithms.Linear;
using static Mlops.Onnx.OnnxAttributes;
using DataType = Mlops.Onnx.Ir.TensorProto.Types.DataType;

namespace Mlops.Training.Algorithms.Export;

/// <summary>
/// Exports trained models to ONNX. Contract of every exported graph: input <see cref="InputName"/> float [N, d]
/// (NaN = missing); output <see cref="ProbabilityOutput"/> float [N] = P(label = 1); ensembles add
/// <see cref="StandardDeviationOutput"/> float [N], the spread of their members' probabilities.
/// Boosted trees become one <c>ai.onnx.ml</c> TreeEnsembleRegressor (one target per member) + Sigmoid; logistic
/// regressions a MatMul/Add/Sigmoid graph of standard operators; an ensemble is one graph over all members.
/// </summary>
public static class OnnxExporter
{
    // Named by the contract inference looks them up by (it once read "std" while inference asked for "uncertainty").
    public const string InputName = ModelOutputNames.Features;
    public const string ProbabilityOutput = ModelOutputNames.Probability;
    public const string StandardDeviationOutput = ModelOutputNames.Uncertainty;

    public static byte[] ExportBytes(IBinaryClassifier model, IReadOnlyList<string>? featureNames = null) =>
        OnnxModelWriter.ToBytes(Export(model, featureNames));

    public static ModelProto Export(IBinaryClassifier model, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var members = model is BaggedEnsemble e ? e.Members : [model];
        var d = model.FeatureCount;
        var g = new OnnxGraphBuilder(model is BaggedEnsemble ? "bagged_ensemble" : model.GetType().Name);
        g.AddInput(InputName, DataType.Float, OnnxGraphBuilder.BatchDimension, d);

        var boosted = members.OfType<GbdtModel>().ToList();
        var linear = members.OfType<LogisticRegressionModel>().ToList();
        if (boosted.Count + linear.Count != members.Count)
        {
            throw new NotSupportedException("Only boosted-tree and logistic-regression members can be exported.");
        }

        var logitParts = new List<string>();
        if (boosted.Count > 0)
        {
            logitParts.Add(AddTreeEnsemble(g, boosted));
        }

        if (linear.Count > 0)
        {
            logitParts.Add(AddLinear(g, linear, d));
        }

        var logits = logitParts.Count == 1
            ? logitParts[0]
            : g.AddNode("Concat", [.. logitParts], ["member_logits"], Int("axis", 1));
        var probabilities = g.AddNode("Sigmoid", [logits], ["member_probabilities"]);

        if (model is BaggedEnsemble)
        {
            g.AddNode("ReduceMean", [probabilities], [ProbabilityOutput], Ints("axes", [1]), Int("keepdims", 0));
            var mean = g.AddNode("ReduceMean", [probabilities], ["mean_keepdims"], Ints("axes", [1]), Int("keepdims", 1));
            var diff = g.AddNode("Sub", [probabilities, mean], ["deviation"]);
            var sq = g.AddNode("Mul", [diff, diff], ["squared_deviation"]);
            var variance = g.AddNode("ReduceMean", [sq], ["variance"], Ints("axes", [1]), Int("keepdims", 0));
            g.AddNode("Sqrt", [variance], [StandardDeviationOutput]);
            g.AddOutput(ProbabilityOutput, DataType.Float, OnnxGraphBuilder.BatchDimension);
            g.AddOutput(StandardDeviationOutput, DataType.Float, OnnxGraphBuilder.BatchDimension);
        }
        else
        {
            var shape = g.AddInitializer("flat_shape", new long[] { -1 }, 1);
            g.AddNode("Reshape", [probabilities, shape], [ProbabilityOutput]);
            g.AddOutput(ProbabilityOutput, DataType.Float, OnnxGraphBuilder.BatchDimension);
        }

        var metadata = new List<KeyValuePair<string, string>>
        {
            new("mlops.model_kind", model is BaggedEnsemble ? "bagged_ensemble" : model.GetType().Name),
            new("mlops.members", members.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(ModelOutputNames.MissingValuesMetadataKey, ModelOutputNames.MissingAsNaN),
        };
        if (featureNames is not null)
        {
            metadata.Add(new("mlops.features", string.Join(',', featureNames)));
        }

        return g.Build(new OnnxModelInfo { MlOpset = boosted.Count > 0 ? 3 : null, Metadata = metadata });
    }

    private static string AddTreeEnsemble(OnnxGraphBuilder g, IReadOnlyList<GbdtModel> members)
    {
        var treeIds = new List<long>();
        var nodeIds = new List<long>();
        var featureIds = new List<long>();
        var modes = new List<string>();
        var values = new List<float>();
        var trueIds = new List<long>();
        var falseIds = new List<long>();
        var missingTrue = new List<long>();
        var targetTree = new List<long>();
        var targetNode = new List<long>();
        var targetId = new List<long>();
        var targetWeight = new List<float>();
        long treeId = 0;
        for (var m = 0; m < members.Count; m++)
        {
            foreach (var tree in members[m].Trees)
            {
                for (var i = 0; i < tree.NodeCount; i++)
                {
                    treeIds.Add(treeId);
                    nodeIds.Add(i);
                    var leaf = tree.Feature[i] < 0;
                    featureIds.Add(leaf ? 0 : tree.Feature[i]);
                    modes.Add(leaf ? "LEAF" : "BRANCH_LEQ");
                    values.Add(leaf ? 0 : tree.Threshold[i]);
                    trueIds.Add(leaf ? 0 : tree.Left[i]);
                    falseIds.Add(leaf ? 0 : tree.Right[i]);
                    missingTrue.Add(!leaf && tree.MissingGoesLeft[i] ? 1 : 0);
                    if (leaf)
                    {
                        targetTree.Add(treeId);
                        targetNode.Add(i);
                        targetId.Add(m);
                        targetWeight.Add(tree.Value[i]);
                    }
                }

                treeId++;
            }
        }

        return g.AddNode(
            "TreeEnsembleRegressor",
            OnnxDomains.Ml,
            [InputName],
            ["tree_logits"],
            Int("n_targets", members.Count),
            String("aggregate_function", "SUM"),
            String("post_transform", "NONE"),
            Floats("base_values", members.Select(b => b.BaseScore)),
            Ints("nodes_treeids", treeIds),
            Ints("nodes_nodeids", nodeIds),
            Ints("nodes_featureids", featureIds),
            Strings("nodes_modes", modes),
            Floats("nodes_values", values),
            Ints("nodes_truenodeids", trueIds),
            Ints("nodes_falsenodeids", falseIds),
            Ints("nodes_missing_value_tracks_true", missingTrue),
            Ints("target_treeids", targetTree),
            Ints("target_nodeids", targetNode),
            Ints("target_ids", targetId),
            Floats("target_weights", targetWeight));
    }

    private static string AddLinear(OnnxGraphBuilder g, IReadOnlyList<LogisticRegressionModel> members, int d)
    {
        var m = members.Count;
        var w = new float[d * m];
        var fill = new float[d * m];
        var b = new float[m];
        for (var k = 0; k < m; k++)
        {
            b[k] = (float)members[k].Intercept;
            for (var j = 0; j < d; j++)
            {
                w[j * m + k] = (float)members[k].Weights[j];
                // A missing x_j contributes w_j·fill_j: added through the missing-indicator matrix.
                fill[j * m + k] = (float)(members[k].Weights[j] * members[k].FillValues[j]);
            }
        }

        var isNan = g.AddNode("IsNaN", [InputName], ["missing_mask"]);
        var zero = g.AddInitializer("zero", new float[] { 0f });
        var known = g.AddNode("Where", [isNan, zero, InputName], ["features_zero_filled"]);
        var mask = g.AddNode("Cast", [isNan], ["missing_indicator"], Int("to", (long)DataType.Float));
        var wName = g.AddInitializer("linear_weights", w, d, m);
        var fName = g.AddInitializer("linear_fill_contribution", fill, d, m);
        var bName = g.AddInitializer("linear_intercepts", b, m);
        var known1 = g.AddNode("MatMul", [known, wName], ["linear_known"]);
        var missing1 = g.AddNode("MatMul", [mask, fName], ["linear_missing"]);
        var sum = g.AddNode("Add", [known1, missing1], ["linear_sum"]);
        return g.AddNode("Add", [sum, bName], ["linear_logits"]);
    }
}
