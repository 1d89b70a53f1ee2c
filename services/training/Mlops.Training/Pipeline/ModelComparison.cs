using Mlops.Training.Registry;

namespace Mlops.Training.Pipeline;

/// <summary>A compared version's figures on a run's held-out rows, or why it could not be scored.</summary>
public sealed record ModelComparison(string Version, string? Sha256, int Rows, double? Auroc, double? LogLoss, double? Brier, string? Problem)
{
    public static ModelComparison Failed(ComparedModel model, int rows, string problem) => new(model.Version, model.Sha256, rows, null, null, null, problem);
}
