using System.Diagnostics;
using System.Text.Json;
using Mlops.Onnx.Ir;
using static Mlops.Onnx.OnnxAttributes;
using DataType = Mlops.Onnx.Ir.TensorProto.Types.DataType;

namespace Mlops.Onnx.Tests;

/// <summary>The hand-written IR messages are read back by the reference onnx package exactly as written.</summary>
public sealed class OnnxGraphBuilderTests
{
    private const string Script = """
        import json, sys, onnx
        from onnx import numpy_helper
        m = onnx.load(sys.argv[1])
        onnx.checker.check_model(m, full_check=True)
        g = m.graph
        print(json.dumps({
          "ir": m.ir_version, "producer": m.producer_name,
          "opsets": {o.domain: o.version for o in m.opset_import},
          "metadata": {p.key: p.value for p in m.metadata_props},
          "inputs": [[i.name, i.type.tensor_type.elem_type, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]] for i in g.input],
          "outputs": [o.name for o in g.output],
          "nodes": [[n.op_type, n.domain, list(n.input), list(n.output)] for n in g.node],
          "attributes": {a.name: [a.type, a.HasField("i"), a.i, list(a.ints), list(a.floats), [s.decode() for s in a.strings]] for n in g.node for a in n.attribute},
          "initializers": {t.name: numpy_helper.to_array(t).tolist() for t in g.initializer},
        }))
        """;

    [Fact]
    public void Build_SmallGraph_PassesCheckerAndReadsBackFieldByField()
    {
        var g = new OnnxGraphBuilder("demo");
        g.AddInput("x", DataType.Float, OnnxGraphBuilder.BatchDimension, 3);
        var w = g.AddInitializer("w", new[] { 0.5f, -1f, 2f }, 3, 1);
        var shape = g.AddInitializer("shape", new long[] { -1 }, 1);
        var z = g.AddNode("MatMul", ["x", w], ["z"]);
        var p = g.AddNode("Sigmoid", [z], ["p"]);
        g.AddNode("ReduceMean", [p], ["m"], Ints("axes", [1]), Int("keepdims", 0));
        g.AddNode("Reshape", [p, shape], ["flat"]);
        g.AddOutput("m", DataType.Float, OnnxGraphBuilder.BatchDimension);
        g.AddOutput("flat", DataType.Float, OnnxGraphBuilder.BatchDimension);
        var model = g.Build(new OnnxModelInfo { MlOpset = null, Metadata = [new("k", "v")] });

        var read = CheckWithReferenceOnnx(OnnxModelWriter.ToBytes(model));

        Assert.Equal(8, read.GetProperty("ir").GetInt32());
        Assert.Equal("mlops-platform", read.GetProperty("producer").GetString());
        Assert.Equal(17, read.GetProperty("opsets").GetProperty("").GetInt32());
        Assert.Equal("v", read.GetProperty("metadata").GetProperty("k").GetString());
        Assert.Equal("""[["x",1,["N",3]]]""", read.GetProperty("inputs").GetRawText().Replace(" ", ""));
        Assert.Equal("""["m","flat"]""", read.GetProperty("outputs").GetRawText().Replace(" ", ""));
        Assert.Equal("""["MatMul","",["x","w"],["z"]]""", read.GetProperty("nodes")[0].GetRawText().Replace(" ", ""));
        // An INT attribute of 0 must still be present on the wire (proto2 presence), as the spec's readers expect.
        Assert.Equal("""[2,true,0,[],[],[]]""", read.GetProperty("attributes").GetProperty("keepdims").GetRawText().Replace(" ", ""));
        Assert.Equal("""[7,false,0,[1],[],[]]""", read.GetProperty("attributes").GetProperty("axes").GetRawText().Replace(" ", ""));
        Assert.Equal("""[[0.5],[-1.0],[2.0]]""", read.GetProperty("initializers").GetProperty("w").GetRawText().Replace(" ", ""));
        Assert.Equal("""[-1]""", read.GetProperty("initializers").GetProperty("shape").GetRawText().Replace(" ", ""));
    }

    [Fact]
    public void Build_MlDomainNodeWithStringAndFloatLists_PassesChecker()
    {
        var g = new OnnxGraphBuilder("tree");
        g.AddInput("x", DataType.Float, OnnxGraphBuilder.BatchDimension, 2);
        g.AddNode("TreeEnsembleRegressor", OnnxDomains.Ml, ["x"], ["y"],
            Int("n_targets", 1),
            Ints("nodes_treeids", [0, 0, 0]), Ints("nodes_nodeids", [0, 1, 2]), Ints("nodes_featureids", [1, 0, 0]),
            Strings("nodes_modes", ["BRANCH_LEQ", "LEAF", "LEAF"]), Floats("nodes_values", [0.5f, 0, 0]),
            Ints("nodes_truenodeids", [1, 0, 0]), Ints("nodes_falsenodeids", [2, 0, 0]),
            Ints("target_treeids", [0, 0]), Ints("target_nodeids", [1, 2]), Ints("target_ids", [0, 0]), Floats("target_weights", [-1f, 1f]));
        g.AddOutput("y", DataType.Float, OnnxGraphBuilder.BatchDimension, 1);

        var read = CheckWithReferenceOnnx(OnnxModelWriter.ToBytes(g.Build(new OnnxModelInfo())));

        Assert.Equal(3, read.GetProperty("opsets").GetProperty("ai.onnx.ml").GetInt32());
        Assert.Equal("""[8,false,0,[],[],["BRANCH_LEQ","LEAF","LEAF"]]""", read.GetProperty("attributes").GetProperty("nodes_modes").GetRawText().Replace(" ", ""));
        Assert.Equal("""[6,false,0,[],[-1.0,1.0],[]]""", read.GetProperty("attributes").GetProperty("target_weights").GetRawText().Replace(" ", ""));
    }

    [Fact]
    public void Build_CheckerRejectsABrokenGraph_SoTheCheckIsReal()
    {
        var g = new OnnxGraphBuilder("broken");
        g.AddInput("x", DataType.Float, 1);
        g.AddNode("Sigmoid", ["not_defined"], ["y"]);
        g.AddOutput("y", DataType.Float, 1);

        Assert.Throws<InvalidOperationException>(() => CheckWithReferenceOnnx(OnnxModelWriter.ToBytes(g.Build(new OnnxModelInfo { MlOpset = null }))));
    }

    [Fact]
    public void ToBytes_SameGraphBuiltTwice_IdenticalBytes()
    {
        static byte[] Make()
        {
            var g = new OnnxGraphBuilder("same");
            g.AddInput("x", DataType.Float, OnnxGraphBuilder.BatchDimension, 2);
            g.AddNode("Sigmoid", ["x"], ["y"]);
            g.AddOutput("y", DataType.Float, OnnxGraphBuilder.BatchDimension, 2);
            return OnnxModelWriter.ToBytes(g.Build(new OnnxModelInfo { Metadata = [new("a", "1"), new("b", "2")] }));
        }

        Assert.Equal(Make(), Make());
    }

    private static JsonElement CheckWithReferenceOnnx(byte[] model)
    {
        var dir = Directory.CreateTempSubdirectory("mlops-onnx-");
        try
        {
            var modelPath = Path.Combine(dir.FullName, "model.onnx");
            var scriptPath = Path.Combine(dir.FullName, "check.py");
            File.WriteAllBytes(modelPath, model);
            File.WriteAllText(scriptPath, Script);
            var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(scriptPath);
            psi.ArgumentList.Add(modelPath);
            using var process = Process.Start(psi)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0
                ? JsonDocument.Parse(stdout).RootElement.Clone()
                : throw new InvalidOperationException($"onnx checker failed: {stderr.Result}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
