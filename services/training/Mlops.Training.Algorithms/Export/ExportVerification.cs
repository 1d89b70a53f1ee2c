using Mlops.Onnx;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Ensembles;

namespace Mlops.Training.Algorithms.Export;

/// <summary>How far an exported model's outputs are from the C# model's on a data set.</summary>
public sealed record ExportVerificationResult(int Rows, double MaxProbabilityError, double MaxStandardDeviationError, double Tolerance)
{
    public bool Passed => MaxProbabilityError <= Tolerance && MaxStandardDeviationError <= Tolerance;
}

/// <summary>Scores the export in an ONNX engine and compares with the in-memory model, row by row.</summary>
public static class ExportVerification
{
    public const double DefaultTolerance = 1e-5;

    public static ExportVerificationResult Verify(
        IBinaryClassifier model, byte[] onnxModel, TabularData data, IOnnxModelScorer scorer, double tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(scorer);
        var outputs = scorer.Score(onnxModel, data.Features, data.Rows, data.Columns);
        var probability = outputs[OnnxExporter.ProbabilityOutput];
        double maxP = 0, maxS = 0;
        for (var r = 0; r < data.Rows; r++)
        {
            if (model is BaggedEnsemble ensemble)
            {
                var (mean, std) = ensemble.Predict(data.Row(r));
                maxP = Math.Max(maxP, Math.Abs(mean - probability[r]));
                maxS = Math.Max(maxS, Math.Abs(std - outputs[OnnxExporter.StandardDeviationOutput][r]));
            }
            else
            {
                maxP = Math.Max(maxP, Math.Abs(model.PredictProbability(data.Row(r)) - probability[r]));
            }
        }

        return new ExportVerificationResult(data.Rows, maxP, maxS, tolerance);
    }
}
