using System.Security.Cryptography;
using System.Text.Json;

namespace Mlops.Inference.Tests;

/// <summary>The generated test models (tests/models) and their expected outputs computed from their parameters.</summary>
internal static class Models
{
    public const string V1 = "deterioration_ensemble_v1";
    public const string V2 = "deterioration_ensemble_v2";
    public static readonly string[] Features = ["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp"];

    /// <summary>The baseline the service measures contributions from (the standardisation means).</summary>
    public static readonly double[] Baseline = [80, 16, 96, 37, 120];

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "models", name + ".onnx");

    /// <summary>The artifact's path relative to the models folder, as <c>POST /api/inference/model</c> takes it.</summary>
    public static string FileOf(string name) => name + ".onnx";

    /// <summary>Where this test assembly's models are: the folder a test lets <c>POST /api/inference/model</c> load from.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>Factory settings that turn loading by path on, confined to <see cref="Folder"/>.</summary>
    public static IReadOnlyDictionary<string, string?> FolderSettings => new Dictionary<string, string?> { ["Inference:ModelFilesDirectory"] = Folder };

    public static string Sha256Of(string name) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(PathOf(name))));

    /// <summary>Ensemble mean and population std for one row, in double precision from the model's parameters.</summary>
    public static (double Mean, double Std) Expected(string name, IReadOnlyDictionary<string, double?> features)
    {
        var p = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "models", name + ".json"))).RootElement;
        double[] D(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var means = D(p.GetProperty("means"));
        var scales = D(p.GetProperty("scales"));
        var biases = D(p.GetProperty("biases"));
        var weights = p.GetProperty("weights").EnumerateArray().Select(D).ToArray();
        var members = new double[biases.Length];
        for (var m = 0; m < members.Length; m++)
        {
            var logit = biases[m];
            for (var f = 0; f < Features.Length; f++)
            {
                logit += (features[Features[f]]!.Value - means[f]) / scales[f] * weights[f][m];
            }

            members[m] = 1 / (1 + Math.Exp(-logit));
        }

        var mean = members.Average();
        return (mean, Math.Sqrt(members.Select(x => (x - mean) * (x - mean)).Average()));
    }

    /// <summary>Exact contributions of an ensemble of logistic regressions: mean over members of w·(x − b)/scale.</summary>
    public static Dictionary<string, double> ExpectedContributions(string name, IReadOnlyDictionary<string, double?> features)
    {
        var p = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "models", name + ".json"))).RootElement;
        var scales = p.GetProperty("scales").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var weights = p.GetProperty("weights").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
        return Features.Select((f, i) => (f, weights[i].Average() * (features[f]!.Value - Baseline[i]) / scales[i]))
            .ToDictionary(t => t.f, t => t.Item2);
    }

    public static Dictionary<string, double?> Vitals(double hr, double rr, double spo2, double temp, double sbp) => new()
    {
        ["heart_rate"] = hr,
        ["respiratory_rate"] = rr,
        ["spo2"] = spo2,
        ["temperature"] = temp,
        ["systolic_bp"] = sbp,
    };
}
