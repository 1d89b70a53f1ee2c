using System.Security.Cryptography;
using Mlops.Training.Algorithms;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Ensembles;
using Mlops.Training.Algorithms.Export;
using Mlops.Training.Algorithms.Gbdt;

namespace Mlops.Inference.Tests;

/// <summary>Small models trained by the platform's learners on deterministic synthetic data and exported to ONNX.</summary>
internal static class TrainedModels
{
    public static readonly string[] Features = ["f0", "f1", "f2", "f3", "f4"];

    static readonly Lazy<GbdtModel> LazyGbdt = new(() => GbdtTrainer.Fit(Data(1500, seed: 7), GbdtOptions(seed: 1)));

    static readonly Lazy<GbdtModel> LazyGbdt2 = new(() => GbdtTrainer.Fit(Data(1500, seed: 8), GbdtOptions(seed: 2) with { Rounds = 15 }));

    static readonly Lazy<BaggedEnsemble> LazyEnsemble = new(() =>
        BaggedEnsembleTrainer.FitBoosted(Data(1500, seed: 9), GbdtOptions(seed: 3), new EnsembleOptions { Members = 4, Seed = 11 }));

    static readonly Lazy<BaggedEnsemble> LazyEnsemble10 = new(() =>
        BaggedEnsembleTrainer.FitBoosted(Data(1500, seed: 10), GbdtOptions(seed: 4) with { Rounds = 15 }, new EnsembleOptions { Members = 10, Seed = 12 }));

    public static GbdtModel Gbdt => LazyGbdt.Value;

    /// <summary>A 10-member bagged ensemble of boosted models.</summary>
    public static BaggedEnsemble Ensemble10 => LazyEnsemble10.Value;

    /// <summary>A second, different boosted model (the "next version" in deployment tests).</summary>
    public static GbdtModel Gbdt2 => LazyGbdt2.Value;

    public static BaggedEnsemble Ensemble => LazyEnsemble.Value;

    /// <summary>
    /// Five features with a non-linear, interacting risk so the trees split on all of them; every 17th value is
    /// missing so NaN routing is exercised where the caller allows it.
    /// </summary>
    public static TabularData Data(int rows, int seed, bool withMissing = false)
    {
        var random = new Random(seed);
        var x = new float[rows * Features.Length];
        var y = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * Features.Length, Features.Length);
            for (var j = 0; j < row.Length; j++)
            {
                row[j] = (float)(random.NextDouble() * 4 - 2);
            }

            var logit = (1.5 * row[0]) - row[1] + (row[2] * row[3]) + (row[4] > 1 ? 1.2 : -0.3);
            y[r] = random.NextDouble() < 1 / (1 + Math.Exp(-logit)) ? 1 : 0;
            if (withMissing)
            {
                for (var j = 0; j < row.Length; j++)
                {
                    if ((r * Features.Length + j) % 17 == 0)
                    {
                        row[j] = float.NaN;
                    }
                }
            }
        }

        return new TabularData(x, y, Features.Length, Features);
    }

    /// <summary>Writes the export to a file and returns its path and SHA-256, as a deployment configures them.</summary>
    public static (string Path, string Sha256, byte[] Bytes) Export(IBinaryClassifier model, string name)
    {
        var bytes = OnnxExporter.ExportBytes(model, Features);
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlops-inference-tests");
        Directory.CreateDirectory(directory);
        var path = System.IO.Path.Combine(directory, $"{name}-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        return (path, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes);
    }

    /// <summary>Settings that make the factory serve the export as model 0.</summary>
    public static Dictionary<string, string?> Serving(string name, string version, (string Path, string Sha256, byte[] Bytes) export)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Inference:LocalModels:0:Name"] = name,
            ["Inference:LocalModels:0:Version"] = version,
            ["Inference:LocalModels:0:Path"] = export.Path,
            ["Inference:LocalModels:0:Sha256"] = export.Sha256,
        };
        for (var i = 0; i < Features.Length; i++)
        {
            settings[$"Inference:LocalModels:0:Features:{i}"] = Features[i];
        }

        return settings;
    }

    /// <summary>A row as the API's feature dictionary.</summary>
    public static Dictionary<string, double?> AsFeatures(ReadOnlySpan<float> row)
    {
        var features = new Dictionary<string, double?>();
        for (var i = 0; i < Features.Length; i++)
        {
            features[Features[i]] = row[i];
        }

        return features;
    }

    /// <summary>Mean of the members' raw scores (log-odds), which the contributions plus their bias must equal.</summary>
    public static double MeanRawScore(IBinaryClassifier model, ReadOnlySpan<float> row) => model switch
    {
        GbdtModel g => g.PredictRaw(row),
        BaggedEnsemble e => MeanMemberRaw(e, row.ToArray()),
        _ => throw new NotSupportedException(model.GetType().Name),
    };

    static double MeanMemberRaw(BaggedEnsemble ensemble, float[] row) =>
        ensemble.Members.Cast<GbdtModel>().Average(m => m.PredictRaw(row));

    static GbdtOptions GbdtOptions(int seed) => new()
    {
        Rounds = 30,
        LearningRate = 0.2,
        MaxLeaves = 8,
        MinSamplesLeaf = 10,
        Seed = seed,
        Parallel = false,
    };
}
