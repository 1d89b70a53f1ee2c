namespace Mlops.Inference.Models;

/// <summary>How ONNX Runtime sessions are created (configuration section <c>OnnxRuntime</c>).</summary>
public sealed class OnnxRuntimeOptions
{
    public const string SectionName = "OnnxRuntime";

    /// <summary>
    /// Where sessions run. <c>Cuda</c> appends the CUDA provider; when it cannot be loaded (CPU-only package, no GPU,
    /// no CUDA libraries) a warning is logged and the session runs on CPU.
    /// </summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>CUDA device when <see cref="ExecutionProvider"/> is <c>Cuda</c>.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>Threads inside one operator; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpNumThreads { get; set; }

    /// <summary>Threads across independent operators; 0 lets ONNX Runtime choose. Above 1 enables parallel execution.</summary>
    public int InterOpNumThreads { get; set; }

    /// <summary>Graph optimisation level (ONNX Runtime's names: ORT_DISABLE_ALL, ORT_ENABLE_BASIC, ORT_ENABLE_EXTENDED, ORT_ENABLE_ALL).</summary>
    public Microsoft.ML.OnnxRuntime.GraphOptimizationLevel GraphOptimizationLevel { get; set; } = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL;
}

/// <summary>Where a session runs.</summary>
public enum ExecutionProvider
{
    Cpu,
    Cuda,
}
