namespace Mlops.Inference.Scoring;

/// <summary>
/// The degraded-mode early-warning score, answering when no model is loaded. Five vitals are banded as in NEWS2
/// (Royal College of Physicians, 2017; SpO2 scale 1, without the consciousness and oxygen items), the points summed
/// (0–15) and mapped to a probability with <c>1 / (1 + exp(-(score - 5)))</c>, so the clinical "urgent response"
/// threshold of 5 lands at 0.5. See docs/inference.md.
/// </summary>
public static class FallbackScorer
{
    public const string ModelName = "rule-based-early-warning";
    public const string ModelVersion = "news2-vitals-1";

    /// <summary>Features the rule reads.</summary>
    public static readonly IReadOnlyList<string> Features = ["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp"];

    /// <summary>
    /// Where the feature service publishes each vital's latest value (see features.json); accepted beside the bare
    /// code so vectors from <c>features.v1</c> and inline requests both work.
    /// </summary>
    public const string LatestVitalSuffix = "_last_24h";

    /// <summary>The five vitals by bare code, taken from the bare code or its latest-value feature.</summary>
    public static IReadOnlyDictionary<string, double?> ResolveVitals(IReadOnlyDictionary<string, double?> features)
    {
        var vitals = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (var code in Features)
        {
            if (features.TryGetValue(code, out var value) || features.TryGetValue(code + LatestVitalSuffix, out value))
            {
                vitals[code] = value;
            }
        }

        return vitals;
    }

    /// <summary>The summed points (0–15) for the five vitals.</summary>
    public static int Points(double heartRate, double respiratoryRate, double spo2, double temperature, double systolicBp) =>
        RespiratoryRate(respiratoryRate) + Saturation(spo2) + SystolicBp(systolicBp) + HeartRate(heartRate) + Temperature(temperature);

    /// <summary>The probability the rule reports for <paramref name="points"/>.</summary>
    public static double Probability(int points) => 1 / (1 + Math.Exp(-(points - 5)));

    /// <summary>Scores a vector already checked to hold every feature in <see cref="Features"/>.</summary>
    public static double Score(IReadOnlyDictionary<string, double?> values) => Probability(Points(
        values["heart_rate"]!.Value, values["respiratory_rate"]!.Value, values["spo2"]!.Value,
        values["temperature"]!.Value, values["systolic_bp"]!.Value));

    static int RespiratoryRate(double v) => v switch { <= 8 => 3, <= 11 => 1, <= 20 => 0, <= 24 => 2, _ => 3 };

    static int Saturation(double v) => v switch { <= 91 => 3, <= 93 => 2, <= 95 => 1, _ => 0 };

    static int SystolicBp(double v) => v switch { <= 90 => 3, <= 100 => 2, <= 110 => 1, < 220 => 0, _ => 3 };

    static int HeartRate(double v) => v switch { <= 40 => 3, <= 50 => 1, <= 90 => 0, <= 110 => 1, <= 130 => 2, _ => 3 };

    static int Temperature(double v) => v switch { <= 35.0 => 3, <= 36.0 => 1, <= 38.0 => 0, <= 39.0 => 1, _ => 2 };
}
