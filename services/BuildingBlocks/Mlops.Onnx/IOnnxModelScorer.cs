namespace Mlops.Onnx;

/// <summary>
/// Runs an exported model in an ONNX engine so an export can be checked against the model that produced it.
/// Implemented over the platform's ONNX Runtime binding; kept as a seam so exporters do not depend on it.
/// </summary>
public interface IOnnxModelScorer
{
    /// <summary>
    /// Loads <paramref name="model"/>, feeds <paramref name="features"/> (row-major, <paramref name="rows"/> × columns)
    /// to its single float input and returns every float output by name, flattened row-major.
    /// </summary>
    IReadOnlyDictionary<string, float[]> Score(byte[] model, float[] features, int rows, int columns);
}
