namespace Mlops.Training.Quality;

/// <summary>
/// The degraded-mode rule inference answers with when no model is loaded (NEWS2 bands on five vitals; see
/// docs/inference.md), as a baseline a trained model must beat. Training scores it itself rather than referencing the
/// inference service: from the features service's <c>news2</c> feature when the row has it, else from the vitals
/// (bare code or the <c>_last_24h</c> latest value). Only the ranking matters for the AUROC it is compared on, so the
/// points are the score.
/// </summary>
public static class EarlyWarningRule
{
    /// <summary>Feature holding the NEWS2 points, computed by the features service.</summary>
    public const string News2Feature = "news2";

    static readonly string[] Vitals = ["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp"];

    /// <summary>
    /// The rule's points for one row; null when the row has neither <c>news2</c> nor any of the five vitals. A vital
    /// the row lacks scores 0 points (normal), as a ward chart with a gap would be read.
    /// </summary>
    public static double? Points(IReadOnlyDictionary<string, double?> features)
    {
        if (features.TryGetValue(News2Feature, out var news2) && news2 is { } n && double.IsFinite(n))
        {
            return n;
        }

        var points = 0;
        var found = false;
        foreach (var code in Vitals)
        {
            if (Value(features, code) is not { } v)
            {
                continue;
            }

            found = true;
            points += code switch
            {
                "respiratory_rate" => v switch { <= 8 => 3, <= 11 => 1, <= 20 => 0, <= 24 => 2, _ => 3 },
                "spo2" => v switch { <= 91 => 3, <= 93 => 2, <= 95 => 1, _ => 0 },
                "systolic_bp" => v switch { <= 90 => 3, <= 100 => 2, <= 110 => 1, < 220 => 0, _ => 3 },
                "heart_rate" => v switch { <= 40 => 3, <= 50 => 1, <= 90 => 0, <= 110 => 1, <= 130 => 2, _ => 3 },
                _ => v switch { <= 35.0 => 3, <= 36.0 => 1, <= 38.0 => 0, <= 39.0 => 1, _ => 2 },
            };
        }

        return found ? points : null;
    }

    static double? Value(IReadOnlyDictionary<string, double?> features, string code) =>
        (features.TryGetValue(code, out var v) || features.TryGetValue(code + "_last_24h", out v)) && v is { } d && double.IsFinite(d) ? d : null;
}
