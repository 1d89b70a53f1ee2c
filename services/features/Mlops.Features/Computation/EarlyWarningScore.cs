namespace Mlops.Features.Computation;

/// <summary>
/// NEWS2 (Royal College of Physicians, 2017) from the latest vitals, SpO2 scale 1, without the supplemental-oxygen
/// component (not observed by the platform). Components whose vital is missing are left out of the sum.
/// </summary>
public static class EarlyWarningScore
{
    /// <summary>Codes the score reads.</summary>
    public static readonly IReadOnlyList<string> Codes = ["respiratory_rate", "spo2", "temperature", "systolic_bp", "heart_rate", "consciousness"];

    /// <summary>The score, or null when no vital is available.</summary>
    public static double? Compute(IReadOnlyDictionary<string, double> latest)
    {
        double? total = null;
        foreach (var code in Codes)
        {
            if (latest.TryGetValue(code, out var value))
            {
                total = (total ?? 0) + Component(code, value);
            }
        }

        return total;
    }

    /// <summary>Points for one vital.</summary>
    public static int Component(string code, double value) => code switch
    {
        "respiratory_rate" => value <= 8 ? 3 : value <= 11 ? 1 : value <= 20 ? 0 : value <= 24 ? 2 : 3,
        "spo2" => value <= 91 ? 3 : value <= 93 ? 2 : value <= 95 ? 1 : 0,
        "temperature" => value <= 35.0 ? 3 : value <= 36.0 ? 1 : value <= 38.0 ? 0 : value <= 39.0 ? 1 : 2,
        "systolic_bp" => value <= 90 ? 3 : value <= 100 ? 2 : value <= 110 ? 1 : value <= 219 ? 0 : 3,
        "heart_rate" => value <= 40 ? 3 : value <= 50 ? 1 : value <= 90 ? 0 : value <= 110 ? 1 : value <= 130 ? 2 : 3,
        // Ordinal of ACVPU: 0 = Alert, anything else (new confusion, voice, pain, unresponsive) scores 3.
        "consciousness" => value == 0 ? 0 : 3,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "not a NEWS2 vital"),
    };
}
