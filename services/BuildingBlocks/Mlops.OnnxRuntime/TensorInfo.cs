namespace Mlops.OnnxRuntime;

/// <summary>A model input or output: its name, element type and shape (-1 for a dynamic dimension).</summary>
public sealed record TensorInfo(string Name, TensorElementType ElementType, IReadOnlyList<long> Shape)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}: {ElementType}[{string.Join(", ", Shape)}]";
}

/// <summary>Element types of ONNX tensors (values as in <c>ONNXTensorElementDataType</c>).</summary>
public enum TensorElementType
{
    /// <summary>Not a tensor or unknown.</summary>
    Undefined = 0,

    /// <summary>32-bit float.</summary>
    Float = 1,

    /// <summary>Unsigned byte.</summary>
    UInt8 = 2,

    /// <summary>Signed byte.</summary>
    Int8 = 3,

    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,

    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,

    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,

    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,

    /// <summary>String.</summary>
    String = 8,

    /// <summary>Boolean.</summary>
    Bool = 9,

    /// <summary>16-bit float.</summary>
    Float16 = 10,

    /// <summary>64-bit float.</summary>
    Double = 11,
}
