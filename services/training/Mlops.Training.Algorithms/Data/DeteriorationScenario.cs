namespace Mlops.Training.Algorithms.Data;

/// <summary>
/// Synthetic patient-deterioration data: noisy vitals and labs with missing values and a non-linear risk
/// (early-warning-score-like bands plus interactions), generated deterministically from a seed.
/// </summary>
public static class DeteriorationScenario
{
    private static readonly string[] BaseNames =
    [
        "heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp", "consciousness",
        "lactate", "wbc", "age", "on_oxygen",
    ];

    /// <summary>Generates <paramref name="rows"/> patients with at least 10 features (more are noise/drift columns).</summary>
    public static TabularData Generate(int rows, int seed, int features = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, BaseNames.Length);
        var rng = new Random(seed);
        var x = new float[rows * features];
        var y = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var frail = Normal(rng);
            var hr = 80 + 15 * Normal(rng) + 8 * frail;
            var rr = 16 + 4 * Normal(rng) + 2 * frail;
            var spo2 = Math.Min(100, 96 - Math.Abs(3 * Normal(rng)) - 1.5 * Math.Max(0, frail));
            var temp = 37 + 0.7 * Normal(rng);
            var sbp = 125 + 20 * Normal(rng) - 6 * frail;
            var cons = rng.NextDouble() < 0.04 + 0.03 * Math.Max(0, frail) ? 1.0 : 0.0;
            var lactate = Math.Exp(0.2 + 0.45 * Normal(rng) + 0.15 * frail);
            var wbc = Math.Exp(2.1 + 0.35 * Normal(rng));
            var age = Math.Clamp(65 + 15 * Normal(rng), 18, 100);
            var oxygen = rng.NextDouble() < (spo2 < 93 ? 0.6 : 0.1) ? 1.0 : 0.0;

            var score = Band(hr, 50, 90, 110, 130) + Band(rr, 11, 21, 24, 30) + (spo2 < 92 ? 3 : spo2 < 94 ? 2 : spo2 < 96 ? 1 : 0)
                + Band(temp, 35.5, 38.0, 39.0, 40) + (sbp < 90 ? 3 : sbp < 100 ? 2 : sbp < 110 ? 1 : sbp > 219 ? 3 : 0)
                + 3 * cons + 2 * oxygen;
            var logit = -5.2 + 0.75 * score + 1.0 * Math.Max(0, lactate - 2) + 0.02 * (age - 65)
                + (wbc > 12 || wbc < 4 ? 0.6 : 0) + 0.04 * Math.Max(0, hr - 100) * (sbp < 100 ? 1 : 0);
            y[r] = rng.NextDouble() < 1 / (1 + Math.Exp(-logit)) ? 1 : 0;

            var row = x.AsSpan(r * features, features);
            row[0] = (float)Math.Round(hr);
            row[1] = (float)Math.Round(rr);
            row[2] = (float)Math.Round(spo2);
            row[3] = (float)Math.Round(temp, 1);
            row[4] = (float)Math.Round(sbp);
            row[5] = (float)cons;
            // Labs are ordered only for some patients, more often for sicker ones: missingness is informative.
            row[6] = rng.NextDouble() < 0.55 - 0.1 * Math.Max(0, frail) ? float.NaN : (float)Math.Round(lactate, 2);
            row[7] = rng.NextDouble() < 0.4 ? float.NaN : (float)Math.Round(wbc, 1);
            row[8] = (float)Math.Round(age);
            row[9] = (float)oxygen;
            for (var j = BaseNames.Length; j < features; j++)
            {
                // Extra columns: noisy copies of vitals and pure noise, as wide real feature sets have.
                row[j] = j % 3 == 0 ? (float)(row[j % 5] + 5 * Normal(rng)) : (float)Normal(rng);
                if (rng.NextDouble() < 0.05)
                {
                    row[j] = float.NaN;
                }
            }

            // Vitals occasionally go unrecorded.
            if (rng.NextDouble() < 0.05)
            {
                row[rng.Next(5)] = float.NaN;
            }
        }

        var names = BaseNames.Concat(Enumerable.Range(BaseNames.Length, features - BaseNames.Length).Select(i => $"extra_{i}")).ToArray();
        return new TabularData(x, y, features, names);
    }

    private static double Band(double v, double lowSevere, double high1, double high2, double high3) =>
        v <= lowSevere ? 3 : v > high3 ? 3 : v > high2 ? 2 : v > high1 ? 1 : 0;

    private static double Normal(Random rng)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
