using System.Runtime.InteropServices;

namespace Mlops.OnnxRuntime.Native;

/// <summary>
/// Owns one native ONNX Runtime object and releases it with the matching <c>Release*</c> function exactly once,
/// on dispose or, if the owner forgot, on finalisation.
/// </summary>
internal abstract unsafe class OrtHandle : SafeHandle
{
    static long s_live;

    readonly delegate* unmanaged[Cdecl]<nint, void> _release;

    protected OrtHandle(delegate* unmanaged[Cdecl]<nint, void> release)
        : base(0, ownsHandle: true) => _release = release;

    /// <summary>Native objects currently owned by handles in this process (a leak shows as growth).</summary>
    public static long LiveCount => Interlocked.Read(ref s_live);

    public override bool IsInvalid => handle == 0;

    /// <summary>The raw pointer; valid while this handle is not disposed.</summary>
    public nint Pointer => handle;

    /// <summary>Takes ownership of a pointer a native <c>Create*</c> call returned.</summary>
    public void Attach(nint pointer)
    {
        if (pointer == 0)
        {
            throw new OnnxRuntimeException(OrtErrorCode.Fail, $"ONNX Runtime returned no {GetType().Name} object.");
        }

        SetHandle(pointer);
        Interlocked.Increment(ref s_live);
    }

    protected override bool ReleaseHandle()
    {
        _release(handle);
        Interlocked.Decrement(ref s_live);
        return true;
    }
}

internal sealed unsafe class OrtEnvHandle(OrtApi api) : OrtHandle(api.ReleaseEnv);

internal sealed unsafe class OrtSessionOptionsHandle(OrtApi api) : OrtHandle(api.ReleaseSessionOptions);

internal sealed unsafe class OrtSessionHandle(OrtApi api) : OrtHandle(api.ReleaseSession);

internal sealed unsafe class OrtValueHandle(OrtApi api) : OrtHandle(api.ReleaseValue);

internal sealed unsafe class OrtMemoryInfoHandle(OrtApi api) : OrtHandle(api.ReleaseMemoryInfo);

internal sealed unsafe class OrtTypeInfoHandle(OrtApi api) : OrtHandle(api.ReleaseTypeInfo);

internal sealed unsafe class OrtTensorTypeAndShapeInfoHandle(OrtApi api) : OrtHandle(api.ReleaseTensorTypeAndShapeInfo);

internal sealed unsafe class OrtCudaProviderOptionsHandle(OrtApi api) : OrtHandle(api.ReleaseCudaProviderOptions);
