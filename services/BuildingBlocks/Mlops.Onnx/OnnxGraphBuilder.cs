using Mlops.Onnx.Ir;

namespace Mlops.Onnx;

/// <summary>
/// Builds one ONNX graph node by node and wraps it in a model. Names are the caller's; the builder only keeps
/// insertion order, so the same calls always produce the same bytes.
/// </summary>
public sealed class OnnxGraphBuilder
{
    /// <summary>Name of the symbolic batch dimension used for dimensions given as <see cref="BatchDimension"/>.</summary>
    public const string BatchDimensionName = "N";

    /// <summary>Pass as a dimension to declare the symbolic batch dimension.</summary>
    public const long BatchDimension = -1;

    private readonly GraphProto graph;
    private int nodeCounter;

    /// <summary>Starts an empty graph with the given name.</summary>
    public OnnxGraphBuilder(string graphName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        graph = new GraphProto { Name = graphName };
    }

    /// <summary>Declares a graph input of the given element type and shape.</summary>
    public OnnxGraphBuilder AddInput(string name, TensorProto.Types.DataType elementType, params long[] dims)
    {
        graph.Input.Add(ValueInfo(name, elementType, dims));
        return this;
    }

    /// <summary>Declares a graph output of the given element type and shape.</summary>
    public OnnxGraphBuilder AddOutput(string name, TensorProto.Types.DataType elementType, params long[] dims)
    {
        graph.Output.Add(ValueInfo(name, elementType, dims));
        return this;
    }

    /// <summary>Adds a float constant tensor and returns its name.</summary>
    public string AddInitializer(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        foreach (var v in values)
        {
            tensor.FloatData.Add(v);
        }

        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds an int64 constant tensor and returns its name.</summary>
    public string AddInitializer(string name, ReadOnlySpan<long> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        foreach (var v in values)
        {
            tensor.Int64Data.Add(v);
        }

        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds a node of the default (<c>ai.onnx</c>) domain and returns its first output's name.</summary>
    public string AddNode(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes) =>
        AddNode(opType, string.Empty, inputs, outputs, attributes);

    /// <summary>Adds a node of the given operator domain and returns its first output's name.</summary>
    public string AddNode(string opType, string domain, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Length == 0)
        {
            throw new ArgumentException("A node needs at least one output.", nameof(outputs));
        }

        var node = new NodeProto { OpType = opType, Name = $"{opType}_{nodeCounter++}" };
        if (domain.Length > 0)
        {
            node.Domain = domain;
        }

        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return outputs[0];
    }

    /// <summary>Wraps the graph in a model with the IR version and operator sets of <paramref name="info"/>.</summary>
    public ModelProto Build(OnnxModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var model = new ModelProto
        {
            IrVersion = info.IrVersion,
            ProducerName = info.ProducerName,
            ProducerVersion = info.ProducerVersion,
            ModelVersion = info.ModelVersion,
            Graph = graph.Clone(),
        };
        if (!string.IsNullOrEmpty(info.DocString))
        {
            model.DocString = info.DocString;
        }

        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = info.DefaultOpset });
        if (info.MlOpset is { } ml)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxDomains.Ml, Version = ml });
        }

        foreach (var (key, value) in info.Metadata)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType elementType, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0
                ? new TensorShapeProto.Types.Dimension { DimParam = BatchDimensionName }
                : new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
        };
    }
}

/// <summary>Operator domains the platform uses.</summary>
public static class OnnxDomains
{
    /// <summary>The traditional machine-learning operator domain (tree ensembles, …).</summary>
    public const string Ml = "ai.onnx.ml";
}

/// <summary>Model-level header values: IR version, operator sets, producer and metadata.</summary>
public sealed record OnnxModelInfo
{
    /// <summary>IR version 8 is read by ONNX Runtime 1.30 and by the onnx 1.12 checker.</summary>
    public long IrVersion { get; init; } = 8;

    /// <summary>Version of the default <c>ai.onnx</c> operator set (17: ReduceMean still takes axes as an attribute).</summary>
    public long DefaultOpset { get; init; } = 17;

    /// <summary>Version of the <c>ai.onnx.ml</c> operator set, or null when the graph uses none of its operators.</summary>
    public long? MlOpset { get; init; } = 3;

    /// <summary>Name of the producing program.</summary>
    public string ProducerName { get; init; } = "mlops-platform";

    /// <summary>Version of the producing program.</summary>
    public string ProducerVersion { get; init; } = "1";

    /// <summary>Version number of the model itself.</summary>
    public long ModelVersion { get; init; } = 1;

    /// <summary>Free text describing the model.</summary>
    public string? DocString { get; init; }

    /// <summary>Key/value metadata stored in the model, in this order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; init; } = [];
}
