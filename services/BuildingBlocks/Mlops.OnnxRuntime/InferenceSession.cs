using System.Buffers;
using System.Runtime.InteropServices;
using Mlops.OnnxRuntime.Native;

namespace Mlops.OnnxRuntime;

/// <summary>
/// One loaded model. <see cref="Run(ReadOnlySpan{TensorInput}, IReadOnlyList{string}?)"/> is thread-safe (ONNX Runtime
/// allows concurrent runs on one session), so one session serves all requests.
/// </summary>
public sealed unsafe class InferenceSession : IDisposable
{
    readonly OnnxRuntimeEnvironment _environment;
    readonly OrtApi _api;
    readonly OrtSessionHandle _session;
    readonly Dictionary<string, Utf8StringHandle> _inputNames;
    readonly Dictionary<string, Utf8StringHandle> _outputNames;
    readonly string[] _allOutputs;
    int _disposed;

    internal InferenceSession(OnnxRuntimeEnvironment environment, OrtSessionHandle session, ExecutionProvider provider)
    {
        _environment = environment;
        _api = environment.Api;
        _session = session;

        ExecutionProvider = provider;
        Inputs = Describe(isInput: true);
        Outputs = Describe(isInput: false);
        _inputNames = Inputs.ToDictionary(i => i.Name, i => new Utf8StringHandle(i.Name), StringComparer.Ordinal);
        _outputNames = Outputs.ToDictionary(o => o.Name, o => new Utf8StringHandle(o.Name), StringComparer.Ordinal);
        _allOutputs = Outputs.Select(o => o.Name).ToArray();

        // The session and every run use the environment and its CPU memory info: keep both alive until this
        // session is disposed, even if the environment is disposed first.
        var added = false;
        environment.Env.DangerousAddRef(ref added);
        added = false;
        environment.CpuMemory.DangerousAddRef(ref added);
    }

    /// <summary>The provider the session actually runs on (CPU when CUDA was asked for but could not be loaded).</summary>
    public ExecutionProvider ExecutionProvider { get; }

    /// <summary>The model's inputs.</summary>
    public IReadOnlyList<TensorInfo> Inputs { get; }

    /// <summary>The model's outputs.</summary>
    public IReadOnlyList<TensorInfo> Outputs { get; }

    /// <summary>Runs the model on one float input, returning every output.</summary>
    public RunResult Run(string inputName, ReadOnlyMemory<float> data, long[] shape) =>
        Run([new TensorInput(inputName, data, shape)]);

    /// <summary>
    /// Runs the model. The inputs' memory is pinned and passed to ONNX Runtime without copying; outputs stay in
    /// native memory until the result is disposed. ORT's errors (unknown input name, wrong shape, …) surface as
    /// <see cref="OnnxRuntimeException"/> with ORT's message.
    /// </summary>
    /// <param name="inputs">Named float tensors.</param>
    /// <param name="outputNames">Outputs to compute; all when null.</param>
    public RunResult Run(ReadOnlySpan<TensorInput> inputs, IReadOnlyList<string>? outputNames = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var outputs = outputNames is null ? _allOutputs : outputNames.ToArray();
        var inputCount = inputs.Length;
        var pins = new MemoryHandle[inputCount];
        var values = new OrtValueHandle[inputCount];
        var temporaryNames = new List<Utf8StringHandle>();
        var inputNamePointers = stackalloc nint[Math.Max(inputCount, 1)];
        var inputPointers = stackalloc nint[Math.Max(inputCount, 1)];
        var outputNamePointers = stackalloc nint[Math.Max(outputs.Length, 1)];
        var outputPointers = stackalloc nint[Math.Max(outputs.Length, 1)];
        try
        {
            for (var i = 0; i < inputCount; i++)
            {
                var input = inputs[i];
                inputNamePointers[i] = NamePointer(_inputNames, input.Name, temporaryNames);
                values[i] = CreateTensor(input, ref pins[i]);
                inputPointers[i] = values[i].Pointer;
            }

            for (var i = 0; i < outputs.Length; i++)
            {
                outputNamePointers[i] = NamePointer(_outputNames, outputs[i], temporaryNames);
                outputPointers[i] = 0;
            }

            // Held across the native call so a concurrent Dispose cannot release the session under a running Run.
            var added = false;
            _session.DangerousAddRef(ref added);
            try
            {
                _api.Check(_api.Run(
                    _session.Pointer, 0, inputNamePointers, inputPointers, (nuint)inputCount,
                    outputNamePointers, (nuint)outputs.Length, outputPointers));
            }
            finally
            {
                if (added)
                {
                    _session.DangerousRelease();
                }
            }

            var results = new OrtValueHandle[outputs.Length];
            for (var i = 0; i < outputs.Length; i++)
            {
                results[i] = new OrtValueHandle(_api);
                results[i].Attach(outputPointers[i]);
            }

            return new RunResult(_api, outputs, results);
        }
        finally
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }

            foreach (var pin in pins)
            {
                pin.Dispose();
            }

            foreach (var name in temporaryNames)
            {
                name.Dispose();
            }
        }
    }

    /// <summary>Releases the native session.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _session.Dispose();
        foreach (var name in _inputNames.Values.Concat(_outputNames.Values))
        {
            name.Dispose();
        }

        _environment.CpuMemory.DangerousRelease();
        _environment.Env.DangerousRelease();
    }

    internal static long[] ReadDimensions(OrtApi api, nint tensorInfo)
    {
        nuint count;
        api.Check(api.GetDimensionsCount(tensorInfo, &count));
        var dimensions = new long[(int)count];
        fixed (long* d = dimensions)
        {
            api.Check(api.GetDimensions(tensorInfo, d, count));
        }

        return dimensions;
    }

    OrtValueHandle CreateTensor(TensorInput input, ref MemoryHandle pin)
    {
        var shape = input.Shape ?? throw new ArgumentException($"Input '{input.Name}' has no shape.", nameof(input));
        long elements = 1;
        foreach (var dimension in shape)
        {
            if (dimension <= 0)
            {
                throw new ArgumentException($"Input '{input.Name}' has a non-positive dimension in shape [{string.Join(", ", shape)}].", nameof(input));
            }

            elements *= dimension;
        }

        if (elements != input.Data.Length)
        {
            throw new ArgumentException($"Input '{input.Name}' has {input.Data.Length} values but shape [{string.Join(", ", shape)}] needs {elements}.", nameof(input));
        }

        pin = input.Data.Pin();
        var value = new OrtValueHandle(_api);
        nint raw;
        fixed (long* s = shape)
        {
            _api.Check(_api.CreateTensorWithDataAsOrtValue(
                _environment.CpuMemory.Pointer, pin.Pointer, (nuint)(input.Data.Length * sizeof(float)),
                s, (nuint)shape.Length, (int)TensorElementType.Float, &raw));
        }

        value.Attach(raw);
        return value;
    }

    // Known names reuse their cached native copy; an unknown one is still handed to ORT so its own message names it.
    static nint NamePointer(Dictionary<string, Utf8StringHandle> known, string name, List<Utf8StringHandle> temporary)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (known.TryGetValue(name, out var cached))
        {
            return cached.Pointer;
        }

        var handle = new Utf8StringHandle(name);
        temporary.Add(handle);
        return handle.Pointer;
    }

    TensorInfo[] Describe(bool isInput)
    {
        nuint count;
        _api.Check(isInput ? _api.SessionGetInputCount(_session.Pointer, &count) : _api.SessionGetOutputCount(_session.Pointer, &count));
        var infos = new TensorInfo[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            infos[(int)i] = Build(isInput, i);
        }

        return infos;
    }

    TensorInfo Build(bool isInput, nuint index)
    {
        var name = ReadName(isInput, index);
        using var typeInfo = new OrtTypeInfoHandle(_api);
        nint raw;
        _api.Check(isInput
            ? _api.SessionGetInputTypeInfo(_session.Pointer, index, &raw)
            : _api.SessionGetOutputTypeInfo(_session.Pointer, index, &raw));
        typeInfo.Attach(raw);

        // The tensor view is owned by the type info: not released separately; null for non-tensor values.
        nint tensorInfo;
        _api.Check(_api.CastTypeInfoToTensorInfo(raw, &tensorInfo));
        if (tensorInfo == 0)
        {
            return new TensorInfo(name, TensorElementType.Undefined, []);
        }

        int type;
        _api.Check(_api.GetTensorElementType(tensorInfo, &type));
        return new TensorInfo(name, (TensorElementType)type, ReadDimensions(_api, tensorInfo));
    }

    string ReadName(bool isInput, nuint index)
    {
        nint raw;
        var allocator = _environment.DefaultAllocator;
        _api.Check(isInput
            ? _api.SessionGetInputName(_session.Pointer, index, allocator, &raw)
            : _api.SessionGetOutputName(_session.Pointer, index, allocator, &raw));
        try
        {
            return Marshal.PtrToStringUTF8(raw) ?? "";
        }
        finally
        {
            _api.Check(_api.AllocatorFree(allocator, raw));
        }
    }
}
