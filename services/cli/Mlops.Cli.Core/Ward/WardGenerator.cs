using System.Globalization;

namespace Mlops.Cli.Core.Ward;

/// <summary>
/// Deterministic synthetic ward for the deterioration scenario. Each patient has a latent risk; vitals drift with it
/// (heart and respiratory rate up, SpO2 and blood pressure down, occasional confusion), labs rise with it, and the
/// outcome "deteriorated within the horizon after the assessment time" is drawn from it. Patients who deteriorate
/// also worsen over the hours before the assessment, so trends (slopes, last values) carry signal beyond the level.
/// Codes and units are those of the shipped observation schemas; lab results become available 1–3 h after sampling.
/// </summary>
public static class WardGenerator
{
    /// <summary>Codes and units, as in <c>observation-schemas.json</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Units = new Dictionary<string, string?>
    {
        ["heart_rate"] = "/min",
        ["respiratory_rate"] = "/min",
        ["spo2"] = "%",
        ["temperature"] = "Cel",
        ["systolic_bp"] = "mm[Hg]",
        ["diastolic_bp"] = "mm[Hg]",
        ["consciousness"] = null,
        ["lactate"] = "mmol/L",
        ["wbc"] = "10*9/L",
        ["creatinine"] = "umol/L",
    };

    /// <summary>Hours before the assessment over which a deteriorating patient worsens.</summary>
    const double DriftHours = 6;

    /// <summary>Generates the ward's history (sorted by event time) and outcomes.</summary>
    public static Ward Generate(WardOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Patients, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.HistoryHours, 0);
        var end = Truncate(options.End);
        var observations = new List<ObservationRow>();
        var outcomes = new List<OutcomeRow>();
        var patients = new List<PatientProfile>();
        for (var i = 0; i < options.Patients; i++)
        {
            var rng = new Random(HashCode(options.Seed, i));
            var entityId = EntityId(options, i);
            var risk = Normal(rng);
            var assessment = end - TimeSpan.FromMinutes(Math.Round(rng.NextDouble() * options.AssessmentSpreadHours * 60));
            // The outcome: a latent-risk logistic with about 15 % positives.
            var deteriorated = rng.NextDouble() < Sigmoid(-2.1 + 1.5 * risk);
            // Some deteriorate without warning signs in the vitals: the task stays learnable, not trivial.
            var prodrome = deteriorated && rng.NextDouble() < 0.6;
            patients.Add(new PatientProfile(entityId, risk, assessment, deteriorated));
            outcomes.Add(new OutcomeRow(
                $"{entityId}-{options.LabelName}-{assessment.UtcTicks}", entityId, options.LabelName, deteriorated ? 1 : 0, assessment));

            var start = assessment - TimeSpan.FromHours(options.HistoryHours);
            var t = start + TimeSpan.FromMinutes(rng.Next(0, 30));
            var set = 0;
            while (t <= assessment)
            {
                var drift = prodrome ? Math.Clamp(1 - (assessment - t).TotalHours / DriftHours, 0, 1) : 0;
                observations.AddRange(VitalSet(options, entityId, risk, drift, t, set % 6 == 0, rng));
                set++;
                t += TimeSpan.FromMinutes(rng.Next(15, 31));
            }

            if (rng.NextDouble() < Math.Clamp(options.LabFraction + 0.15 * risk, 0.05, 0.95))
            {
                var draws = rng.NextDouble() < 0.6 ? 2 : 1;
                var drawn = new HashSet<DateTimeOffset>();
                for (var d = 0; d < draws; d++)
                {
                    var sampled = assessment - TimeSpan.FromMinutes(Math.Round(60 + rng.NextDouble() * (options.HistoryHours - 1) * 60));
                    var available = sampled + TimeSpan.FromMinutes(Math.Round(60 + rng.NextDouble() * 120));
                    // Two draws in the same minute would be one sample (and one observation id).
                    if (available <= end && drawn.Add(sampled))
                    {
                        observations.AddRange(LabPanel(options, entityId, risk, deteriorated, sampled, available, rng));
                    }
                }
            }
        }

        observations.Sort((a, b) =>
        {
            var c = a.EventTime.CompareTo(b.EventTime);
            return c != 0 ? c : string.CompareOrdinal(a.ObservationId, b.ObservationId);
        });
        return new Ward(options with { End = end }, observations, outcomes, patients);
    }

    /// <summary>
    /// A new set of vitals for a patient at <paramref name="time"/> (live streaming after the history), from the
    /// same latent risk; <paramref name="worsening"/> in 0..1 pushes the set towards deterioration.
    /// </summary>
    public static IReadOnlyList<ObservationRow> LiveVitals(WardOptions options, PatientProfile patient, DateTimeOffset time, double worsening)
    {
        var rng = new Random(HashCode(options.Seed, StableHash(patient.EntityId) ^ (int)(time.UtcTicks / TimeSpan.TicksPerSecond)));
        return VitalSet(options with { SourceSystem = options.SourceSystem + "-live" }, patient.EntityId, patient.LatentRisk, worsening, Truncate(time), true, rng).ToList();
    }

    /// <summary>The entity id of patient <paramref name="index"/>.</summary>
    public static string EntityId(WardOptions options, int index) => $"{options.EntityPrefix}{index:0000}";

    static IEnumerable<ObservationRow> VitalSet(WardOptions o, string entityId, double risk, double drift, DateTimeOffset t, bool full, Random rng)
    {
        var sick = Math.Max(0, risk);
        var hr = 78 + 7 * risk + 12 * drift + 9 * Normal(rng);
        var rr = 16 + 1.5 * risk + 3.5 * drift + 2 * Normal(rng);
        var spo2 = Math.Min(100, 97.5 - 1.0 * sick - 2 * drift - Math.Abs(1.5 * Normal(rng)));
        var sbp = 126 - 6 * risk - 12 * drift + 12 * Normal(rng);
        var dbp = 0.6 * sbp + 4 + 5 * Normal(rng);
        yield return Row(o, entityId, "heart_rate", Math.Round(Math.Clamp(hr, 30, 220)), t);
        yield return Row(o, entityId, "respiratory_rate", Math.Round(Math.Clamp(rr, 6, 50)), t);
        yield return Row(o, entityId, "spo2", Math.Round(Math.Clamp(spo2, 70, 100)), t);
        yield return Row(o, entityId, "systolic_bp", Math.Round(Math.Clamp(sbp, 60, 250)), t);
        yield return Row(o, entityId, "diastolic_bp", Math.Round(Math.Clamp(dbp, 30, 150)), t);
        if (full)
        {
            var temp = 36.9 + 0.35 * risk + 0.9 * drift + 0.35 * Normal(rng);
            yield return Row(o, entityId, "temperature", Math.Round(Math.Clamp(temp, 34, 42), 1), t);
            var confused = rng.NextDouble() < 0.02 + 0.04 * sick + 0.35 * drift;
            yield return Row(o, entityId, "consciousness", confused ? (rng.NextDouble() < 0.8 ? "C" : "V") : "A", t);
        }
    }

    static IEnumerable<ObservationRow> LabPanel(WardOptions o, string entityId, double risk, bool deteriorated, DateTimeOffset sampled, DateTimeOffset available, Random rng)
    {
        var lactate = Math.Exp(0.15 + 0.25 * risk + (deteriorated ? 0.35 : 0) + 0.25 * Normal(rng));
        var wbc = Math.Exp(2.1 + 0.15 * risk + (deteriorated ? 0.2 : 0) + 0.25 * Normal(rng));
        var creatinine = Math.Exp(4.4 + 0.12 * risk + 0.2 * Normal(rng));
        yield return Row(o, entityId, "lactate", Math.Round(Math.Clamp(lactate, 0.3, 20), 1), sampled, available);
        yield return Row(o, entityId, "wbc", Math.Round(Math.Clamp(wbc, 0.5, 60), 1), sampled, available);
        yield return Row(o, entityId, "creatinine", Math.Round(Math.Clamp(creatinine, 20, 1500)), sampled, available);
    }

    static ObservationRow Row(WardOptions o, string entityId, string code, object value, DateTimeOffset t, DateTimeOffset? available = null) =>
        new($"{entityId}-{code}-{t.UtcTicks.ToString(CultureInfo.InvariantCulture)}", entityId, code, value, Units[code], t, available, o.SourceSystem);

    static DateTimeOffset Truncate(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    static int HashCode(int seed, int index) => unchecked((seed * 486187739) ^ (index * 16777619) ^ 0x5bd1e995);

    // string.GetHashCode is randomised per process; FNV-1a is the same everywhere.
    static int StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return unchecked((int)hash);
    }

    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    static double Normal(Random rng)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
