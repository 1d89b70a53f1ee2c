using Mlops.OnnxRuntime.Native;

namespace Mlops.OnnxRuntime;

/// <summary>Process-wide counters of the binding, for leak checks and metrics.</summary>
public static class OnnxRuntimeDiagnostics
{
    /// <summary>ONNX Runtime objects currently owned (not yet released) by the binding's handles.</summary>
    public static long LiveNativeObjects => OrtHandle.LiveCount;
}
