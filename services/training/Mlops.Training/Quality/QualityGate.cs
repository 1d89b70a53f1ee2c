using System.Globalization;
using Mlops.Training.Algorithms.Evaluation;

namespace Mlops.Training.Quality;

/// <summary>The figures the gate compares, all on the held-out rows.</summary>
public sealed record QualityBaselines(
    double ModelAuroc, double ModelLogLoss, double ModelBrier, double? RuleAuroc, double ConstantProbability, double ConstantAuroc,
    double ConstantLogLoss, double ConstantBrier, double Margin)
{
    /// <summary>The run metrics recorded whether the gate passes or not.</summary>
    public Dictionary<string, double> Metrics()
    {
        var metrics = new Dictionary<string, double>
        {
            ["baseline_constant_probability"] = ConstantProbability,
            ["baseline_constant_auroc"] = ConstantAuroc,
            ["baseline_constant_log_loss"] = ConstantLogLoss,
            ["baseline_constant_brier"] = ConstantBrier,
            ["quality_gate_auroc_margin"] = Margin,
        };
        if (RuleAuroc is { } rule)
        {
            metrics["baseline_rule_auroc"] = rule;
        }

        return metrics;
    }
}

/// <summary>
/// The minimum-quality gate: the model must beat the degraded-mode rule and a constant predictor (the training base
/// rate) by the margin in AUROC, and must not lose to the constant on log loss or Brier score. A model that cannot do
/// that is worse than what the platform serves without it.
/// </summary>
public static class QualityGate
{
    /// <summary>The baselines for a model's test-row probabilities.</summary>
    public static QualityBaselines Measure(float[] testLabels, double[] modelProbabilities, double?[] rulePoints, float[] trainLabels, double margin)
    {
        var model = BinaryMetrics.Evaluate(testLabels, modelProbabilities);
        var baseRate = trainLabels.Average(l => (double)l);
        // Clipped as the metrics clip probabilities, so a one-class training set cannot make the constant's log loss infinite.
        var constant = Math.Clamp(baseRate, 1e-6, 1 - 1e-6);
        var constantScores = Enumerable.Repeat(constant, testLabels.Length).ToArray();
        var constantReport = BinaryMetrics.Evaluate(testLabels, constantScores);
        double? rule = rulePoints.Any(p => p is not null)
            ? BinaryMetrics.Auroc(testLabels, rulePoints.Select(p => p ?? 0).ToArray())
            : null;
        return new QualityBaselines(model.Auroc, model.LogLoss, model.Brier, rule is { } r && double.IsFinite(r) ? r : null,
            baseRate, constantReport.Auroc, constantReport.LogLoss, constantReport.Brier, margin);
    }

    /// <summary>Why the model fails the gate, naming the figures; null when it passes.</summary>
    public static string? Failure(QualityBaselines b)
    {
        var best = Math.Max(b.RuleAuroc ?? double.NegativeInfinity, b.ConstantAuroc);
        var problems = new List<string>();
        if (!(b.ModelAuroc >= best + b.Margin))
        {
            problems.Add("AUROC does not beat the better baseline by the margin");
        }

        if (!(b.ModelLogLoss <= b.ConstantLogLoss))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"log loss {b.ModelLogLoss:F4} is worse than the constant predictor's {b.ConstantLogLoss:F4}"));
        }

        if (!(b.ModelBrier <= b.ConstantBrier))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Brier score {b.ModelBrier:F4} is worse than the constant predictor's {b.ConstantBrier:F4}"));
        }

        if (problems.Count == 0)
        {
            return null;
        }

        var rule = b.RuleAuroc is { } r ? r.ToString("F3", CultureInfo.InvariantCulture) : "n/a (no news2 or vitals in the rows)";
        return string.Create(CultureInfo.InvariantCulture,
                $"the model does not pass the minimum-quality gate: model AUROC {b.ModelAuroc:F3} vs rule {rule} vs constant {b.ConstantAuroc:F3}, margin {b.Margin:F3}; ")
            + string.Join("; ", problems);
    }
}
