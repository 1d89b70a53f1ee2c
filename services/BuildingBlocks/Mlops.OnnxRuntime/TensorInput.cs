namespace Mlops.OnnxRuntime;

/// <summary>
/// A float tensor handed to a run: the caller's memory is pinned for the duration of the run and given to ONNX
/// Runtime as is (no copy).
/// </summary>
/// <param name="Name">The model input it feeds.</param>
/// <param name="Data">Row-major values; their count must equal the product of <paramref name="Shape"/>.</param>
/// <param name="Shape">Dimensions, all positive.</param>
public readonly record struct TensorInput(string Name, ReadOnlyMemory<float> Data, long[] Shape);
