using Mlops.OnnxRuntime.Native;

namespace Mlops.OnnxRuntime;

/// <summary>
/// The outputs of one run, still in ONNX Runtime's memory: spans read them without copying. Dispose to release
/// them; spans must not be used afterwards.
/// </summary>
public sealed unsafe class RunResult : IDisposable
{
    readonly OrtApi _api;
    readonly string[] _names;
    readonly OrtValueHandle[] _values;

    internal RunResult(OrtApi api, string[] names, OrtValueHandle[] values)
    {
        _api = api;
        _names = names;
        _values = values;
    }

    /// <summary>Output names in the order requested.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The float values of the output named <paramref name="name"/>.</summary>
    public ReadOnlySpan<float> GetFloats(string name) => GetFloats(IndexOf(name));

    /// <summary>The float values of output <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> GetFloats(int index)
    {
        var value = Value(index);
        using var info = TypeAndShape(value);
        int type;
        _api.Check(_api.GetTensorElementType(info.Pointer, &type));
        if ((TensorElementType)type != TensorElementType.Float)
        {
            throw new InvalidOperationException($"Output '{_names[index]}' holds {(TensorElementType)type}, not Float.");
        }

        nuint count;
        _api.Check(_api.GetTensorShapeElementCount(info.Pointer, &count));
        void* data;
        _api.Check(_api.GetTensorMutableData(value.Pointer, &data));
        return new ReadOnlySpan<float>(data, checked((int)count));
    }

    /// <summary>The actual shape of the output named <paramref name="name"/>.</summary>
    public long[] GetShape(string name) => GetShape(IndexOf(name));

    /// <summary>The actual shape of output <paramref name="index"/>.</summary>
    public long[] GetShape(int index)
    {
        using var info = TypeAndShape(Value(index));
        return InferenceSession.ReadDimensions(_api, info.Pointer);
    }

    /// <summary>Releases the native outputs.</summary>
    public void Dispose()
    {
        foreach (var value in _values)
        {
            value.Dispose();
        }
    }

    OrtValueHandle Value(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _values.Length);
        var value = _values[index];
        ObjectDisposedException.ThrowIf(value.IsClosed, this);
        return value;
    }

    OrtTensorTypeAndShapeInfoHandle TypeAndShape(OrtValueHandle value)
    {
        var info = new OrtTensorTypeAndShapeInfoHandle(_api);
        nint raw;
        _api.Check(_api.GetTensorTypeAndShape(value.Pointer, &raw));
        info.Attach(raw);
        return info;
    }

    int IndexOf(string name)
    {
        var index = Array.IndexOf(_names, name);
        return index >= 0 ? index : throw new ArgumentException($"The run produced no output named '{name}'; it produced {string.Join(", ", _names)}.", nameof(name));
    }
}
