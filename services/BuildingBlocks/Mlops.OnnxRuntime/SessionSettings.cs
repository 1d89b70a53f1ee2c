namespace Mlops.OnnxRuntime;

/// <summary>Per-session settings; <see cref="From"/> takes them from the binding's configuration.</summary>
public sealed record SessionSettings
{
    /// <summary>Requested execution provider.</summary>
    public ExecutionProvider ExecutionProvider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>CUDA device when the provider is CUDA.</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>Intra-op threads; 0 = ORT's choice.</summary>
    public int IntraOpNumThreads { get; init; }

    /// <summary>Inter-op threads; 0 = ORT's choice.</summary>
    public int InterOpNumThreads { get; init; }

    /// <summary>Graph optimisation level.</summary>
    public GraphOptimizationLevel GraphOptimizationLevel { get; init; } = GraphOptimizationLevel.All;

    /// <summary>Settings as configured in <paramref name="options"/>.</summary>
    public static SessionSettings From(OnnxRuntimeOptions options) => new()
    {
        ExecutionProvider = options.ExecutionProvider,
        CudaDeviceId = options.CudaDeviceId,
        IntraOpNumThreads = options.IntraOpNumThreads,
        InterOpNumThreads = options.InterOpNumThreads,
        GraphOptimizationLevel = options.GraphOptimizationLevel,
    };
}
