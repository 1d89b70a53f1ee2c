namespace Mlops.OnnxRuntime;

/// <summary>Settings of the ONNX Runtime binding (configuration section <c>OnnxRuntime</c>).</summary>
public sealed class OnnxRuntimeOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "OnnxRuntime";

    /// <summary>Path of <c>libonnxruntime.so.1</c> (the infrastructure script installs it).</summary>
    public string LibraryPath { get; set; } = "";

    /// <summary>Default execution provider of new sessions.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>CUDA device when <see cref="ExecutionProvider"/> is CUDA.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>Threads inside one operator; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpNumThreads { get; set; }

    /// <summary>Threads across independent operators; 0 lets ONNX Runtime choose. Above 1 enables parallel execution.</summary>
    public int InterOpNumThreads { get; set; }

    /// <summary>Graph optimisation level of new sessions.</summary>
    public GraphOptimizationLevel GraphOptimizationLevel { get; set; } = GraphOptimizationLevel.All;
}

/// <summary>Where a session runs.</summary>
public enum ExecutionProvider
{
    /// <summary>The CPU provider (always present).</summary>
    Cpu,

    /// <summary>The CUDA provider; falls back to CPU with a warning when it cannot be loaded.</summary>
    Cuda,
}

/// <summary>ONNX Runtime graph optimisation levels (values as in <c>GraphOptimizationLevel</c>).</summary>
public enum GraphOptimizationLevel
{
    /// <summary>No graph optimisation.</summary>
    Disabled = 0,

    /// <summary>Basic, provider-independent rewrites.</summary>
    Basic = 1,

    /// <summary>Basic plus extended fusions.</summary>
    Extended = 2,

    /// <summary>Everything, including layout optimisations.</summary>
    All = 99,
}
