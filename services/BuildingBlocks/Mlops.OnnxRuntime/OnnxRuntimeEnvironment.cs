using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.OnnxRuntime.Native;

namespace Mlops.OnnxRuntime;

/// <summary>
/// The loaded runtime and its <c>OrtEnv</c>: the factory of sessions. One per process is enough (ONNX Runtime shares
/// one environment internally); thread-safe.
/// </summary>
public sealed unsafe class OnnxRuntimeEnvironment : IDisposable
{
    readonly OrtApi _api;
    readonly OrtEnvHandle _env;
    readonly OrtMemoryInfoHandle _cpuMemory;
    readonly nint _allocator;
    readonly OnnxRuntimeOptions _defaults;
    readonly ILogger _logger;
    int _disposed;

    /// <summary>Loads the library named by <paramref name="options"/> and creates the environment.</summary>
    public OnnxRuntimeEnvironment(OnnxRuntimeOptions options, ILogger<OnnxRuntimeEnvironment>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _defaults = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _api = OrtApi.Load(options.LibraryPath);

        _env = new OrtEnvHandle(_api);
        nint raw;
        var logId = "mlops"u8;
        fixed (byte* id = logId)
        {
            // Warning level (2): ORT's own chatter stays out of the service logs.
            _api.Check(_api.CreateEnv(2, id, &raw));
        }

        _env.Attach(raw);

        _cpuMemory = new OrtMemoryInfoHandle(_api);
        // Arena allocator, default memory type: the pairing ORT expects for tensors over caller-owned CPU memory.
        _api.Check(_api.CreateCpuMemoryInfo(1, 0, &raw));
        _cpuMemory.Attach(raw);

        nint allocator;
        _api.Check(_api.GetAllocatorWithDefaultOptions(&allocator));
        _allocator = allocator;
    }

    /// <summary>The runtime's version string, e.g. <c>1.30.0</c>.</summary>
    public string Version => _api.Version;

    /// <summary>Execution providers compiled into the loaded library (e.g. <c>CPUExecutionProvider</c>).</summary>
    public IReadOnlyList<string> AvailableProviders
    {
        get
        {
            nint list;
            int count;
            _api.Check(_api.GetAvailableProviders(&list, &count));
            try
            {
                var names = new string[count];
                for (var i = 0; i < count; i++)
                {
                    names[i] = Marshal.PtrToStringUTF8(((nint*)list)[i]) ?? "";
                }

                return names;
            }
            finally
            {
                _api.Check(_api.ReleaseAvailableProviders(list, count));
            }
        }
    }

    internal OrtApi Api => _api;

    internal OrtMemoryInfoHandle CpuMemory => _cpuMemory;

    internal OrtEnvHandle Env => _env;

    internal nint DefaultAllocator => _allocator;

    /// <summary>
    /// Creates a session over an ONNX model held in memory. <paramref name="options"/> defaults to the environment's
    /// configured options.
    /// </summary>
    public InferenceSession CreateSession(ReadOnlySpan<byte> model, SessionSettings? options = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        if (model.IsEmpty)
        {
            throw new ArgumentException("The model is empty.", nameof(model));
        }

        var settings = options ?? SessionSettings.From(_defaults);
        using var sessionOptions = CreateSessionOptions(settings, out var provider);
        var session = new OrtSessionHandle(_api);
        nint raw;
        fixed (byte* bytes = model)
        {
            _api.Check(_api.CreateSessionFromArray(_env.Pointer, bytes, (nuint)model.Length, sessionOptions.Pointer, &raw));
        }

        session.Attach(raw);
        try
        {
            return new InferenceSession(this, session, provider);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    OrtSessionOptionsHandle CreateSessionOptions(SessionSettings settings, out ExecutionProvider effective)
    {
        var options = new OrtSessionOptionsHandle(_api);
        try
        {
            nint raw;
            _api.Check(_api.CreateSessionOptions(&raw));
            options.Attach(raw);
            _api.Check(_api.SetSessionGraphOptimizationLevel(raw, (int)settings.GraphOptimizationLevel));
            if (settings.IntraOpNumThreads > 0)
            {
                _api.Check(_api.SetIntraOpNumThreads(raw, settings.IntraOpNumThreads));
            }

            if (settings.InterOpNumThreads > 0)
            {
                _api.Check(_api.SetInterOpNumThreads(raw, settings.InterOpNumThreads));
                if (settings.InterOpNumThreads > 1)
                {
                    _api.Check(_api.SetSessionExecutionMode(raw, 1));
                }
            }

            effective = settings.ExecutionProvider == ExecutionProvider.Cuda && TryAppendCuda(raw, settings.CudaDeviceId)
                ? ExecutionProvider.Cuda
                : ExecutionProvider.Cpu;
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    bool TryAppendCuda(nint sessionOptions, int deviceId)
    {
        try
        {
            using var cuda = new OrtCudaProviderOptionsHandle(_api);
            nint raw;
            _api.Check(_api.CreateCudaProviderOptions(&raw));
            cuda.Attach(raw);
            var key = Marshal.StringToCoTaskMemUTF8("device_id");
            var value = Marshal.StringToCoTaskMemUTF8(deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            try
            {
                _api.Check(_api.UpdateCudaProviderOptions(raw, &key, &value, 1));
            }
            finally
            {
                Marshal.FreeCoTaskMem(key);
                Marshal.FreeCoTaskMem(value);
            }

            _api.Check(_api.SessionOptionsAppendExecutionProviderCudaV2(sessionOptions, raw));
            _logger.LogInformation("ONNX Runtime session uses the CUDA execution provider (device {DeviceId})", deviceId);
            return true;
        }
        catch (OnnxRuntimeException ex)
        {
            _logger.LogWarning("The CUDA execution provider could not be loaded ({OrtMessage}); the session runs on CPU", ex.OrtMessage);
            return false;
        }
    }

    /// <summary>
    /// Releases the environment. Sessions still open hold references to it, so the native environment goes only
    /// after the last of them is disposed, whatever the order (e.g. a DI container disposing in reverse creation order).
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _cpuMemory.Dispose();
        _env.Dispose();
    }
}
