using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace Mlops.Inference.Models;

/// <summary>Creates ONNX Runtime sessions as configured (<see cref="OnnxRuntimeOptions"/>), CUDA when asked and available.</summary>
public sealed class OnnxSessionFactory(IOptions<OnnxRuntimeOptions> options, ILogger<OnnxSessionFactory> logger)
{
    /// <summary>A session over the model's bytes and the provider it actually runs on.</summary>
    public (InferenceSession Session, ExecutionProvider Provider) Create(byte[] model)
    {
        var settings = options.Value;
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = settings.IntraOpNumThreads,
            InterOpNumThreads = settings.InterOpNumThreads,
            ExecutionMode = settings.InterOpNumThreads > 1 ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = settings.GraphOptimizationLevel,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
        };

        var provider = ExecutionProvider.Cpu;
        if (settings.ExecutionProvider == ExecutionProvider.Cuda)
        {
            try
            {
                sessionOptions.AppendExecutionProvider_CUDA(settings.CudaDeviceId);
                provider = ExecutionProvider.Cuda;
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                // The CPU package has no CUDA provider; the GPU package's provider needs CUDA libraries and a GPU.
                // Either way the model still answers, on CPU, and the log says why.
                logger.LogWarning("The CUDA execution provider could not be loaded ({Reason}); the session runs on CPU", ex.Message);
            }
        }

        return (new InferenceSession(model, sessionOptions), provider);
    }
}
