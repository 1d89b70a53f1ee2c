using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Evaluation;

namespace Mlops.Training.Scoring;

/// <summary>Times one-row predictions of an exported model in the serving engine, on one loaded session.</summary>
public interface IOnnxLatencyProbe
{
    /// <summary>Latency percentiles over <paramref name="samples"/> single-row predictions of <paramref name="data"/>'s rows.</summary>
    LatencyReport SinglePrediction(byte[] model, TabularData data, int samples);
}
