using System.Globalization;
using Mlops.Contracts.Monitoring;

namespace Mlops.Monitoring.Retraining;

/// <summary>
/// The promotion policy: the candidate replaces the champion only when, on the same held-out rows, its AUROC reaches the
/// champion's plus <see cref="RetrainingOptions.MinAurocGain"/> and neither its log loss nor its Brier score is worse than
/// the champion's by more than the tolerance. No champion figures (it could not score the rows) fails closed.
/// </summary>
public static class RetrainingPolicy
{
    /// <summary>The verdict and one line per rule with the figures it compared.</summary>
    public static (bool Promote, IReadOnlyList<string> Reasons) Decide(
        ModelFigures candidate, ModelFigures? champion, string? championProblem, double minAurocGain, double logLossTolerance, double brierTolerance)
    {
        if (champion is null)
        {
            return (false, [$"the champion could not be scored on the same rows ({championProblem ?? "no figures"}): no comparison, no promotion"]);
        }

        var reasons = new List<string>();
        var promote = true;
        var aurocNeeded = champion.Auroc + minAurocGain;
        var aurocOk = candidate.Auroc >= aurocNeeded;
        promote &= aurocOk;
        reasons.Add($"AUROC {F(candidate.Auroc)} {(aurocOk ? "≥" : "<")} champion {F(champion.Auroc)} + gain {F(minAurocGain)} = {F(aurocNeeded)}");
        var logLossLimit = champion.LogLoss + logLossTolerance;
        var logLossOk = candidate.LogLoss <= logLossLimit;
        promote &= logLossOk;
        reasons.Add($"log loss {F(candidate.LogLoss)} {(logLossOk ? "≤" : ">")} champion {F(champion.LogLoss)} + tolerance {F(logLossTolerance)} = {F(logLossLimit)}");
        var brierLimit = champion.Brier + brierTolerance;
        var brierOk = candidate.Brier <= brierLimit;
        promote &= brierOk;
        reasons.Add($"Brier {F(candidate.Brier)} {(brierOk ? "≤" : ">")} champion {F(champion.Brier)} + tolerance {F(brierTolerance)} = {F(brierLimit)}");
        // NaN (e.g. one-class rows) compares false everywhere above: never a promotion.
        return (promote, reasons);
    }

    static string F(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
