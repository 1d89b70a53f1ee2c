using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Mlops.Features.Definitions;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Ensembles;
using Mlops.Training.Algorithms.Export;
using Mlops.Training.Algorithms.Gbdt;

namespace Mlops.Inference.Benchmarks;

/// <summary>
/// The model the platform really trains, trained in this process: the training service's <c>bagged_gbdt</c> with its
/// shipped settings (10 members, <see cref="GbdtOptions"/> defaults: 100 rounds, 31 leaves; members fitted one per core,
/// each single-threaded) over the shipped feature set's features, split by time as the pipeline splits, and exported
/// with <see cref="OnnxExporter"/> as its export step does. The 5-input test ensemble runs in microseconds, so HTTP
/// dominated every figure measured on it; this one has the tree count and input width a deployed version has.
/// </summary>
internal sealed record ShippedEnsemble(string Path, byte[] Onnx, string Sha256, Workload Workload, int Members, int Trees, int TrainingRows, TimeSpan TrainingTime)
{
    /// <summary>Rows per training set: a few thousand patients' hourly vectors, enough that every tree reaches its 31 leaves.</summary>
    public const int DefaultRows = 20_000;

    /// <summary>The CLI's default training seed (<c>mlops train --seed</c>); version n is trained with seed + n − 1.</summary>
    public const int DefaultSeed = 42;

    /// <summary>Rows the workload cycles through: held-out rows, as a deployed version scores rows it did not see.</summary>
    const int WorkloadRows = 997;

    // The scenario generator's signal columns go under the shipped names of the same measurement (latest value in the
    // day); its other columns (age, oxygen, noisy copies of vitals, noise) fill the remaining names in the set's order.
    static readonly Dictionary<string, string> SignalColumns = new()
    {
        ["heart_rate"] = "heart_rate_last_24h",
        ["respiratory_rate"] = "respiratory_rate_last_24h",
        ["spo2"] = "spo2_last_24h",
        ["temperature"] = "temperature_last_24h",
        ["systolic_bp"] = "systolic_bp_last_24h",
        ["consciousness"] = "consciousness_last_24h",
        ["lactate"] = "lactate_last_24h",
        ["wbc"] = "wbc_last_24h",
    };

    /// <summary>The shipped feature set's feature names in its order (<c>services/features/Mlops.Features/features.json</c>).</summary>
    public static IReadOnlyList<string> ShippedFeatureNames()
    {
        var definitions = new ConfigurationBuilder()
            .AddJsonFile(System.IO.Path.Combine(AppContext.BaseDirectory, "shipped", "features.json"), optional: false)
            .Build()
            .GetSection(FeatureDefinitions.SectionName)
            .Get<FeatureDefinitions>() ?? throw new InvalidOperationException("features.json has no Features section");
        return definitions.FeatureNames;
    }

    /// <summary>Trains version <paramref name="version"/> (seed <see cref="DefaultSeed"/> + version − 1) and writes it to a temp file.</summary>
    public static ShippedEnsemble Train(int version = 1, int rows = DefaultRows)
    {
        var names = ShippedFeatureNames();
        var seed = DefaultSeed + version - 1;
        var generated = DeteriorationScenario.Generate(rows, seed, features: names.Count);
        var data = Rename(generated, names);

        // The pipeline's split: the last TestFraction (0.2, as shipped) of the time-ordered rows is held out.
        var cut = rows - (int)Math.Round(rows * 0.2);
        var train = data.Select(Enumerable.Range(0, cut).ToArray());
        var test = data.Select(Enumerable.Range(cut, Math.Min(WorkloadRows, rows - cut)).ToArray());

        // TrainingPipeline.Fit("bagged_gbdt") with no hyperparameters in the request.
        var clock = Stopwatch.StartNew();
        var ensemble = BaggedEnsembleTrainer.FitBoosted(train, new GbdtOptions { Seed = seed, Parallel = false }, new EnsembleOptions { Members = 10, Seed = seed });
        var trainingTime = clock.Elapsed;
        var onnx = OnnxExporter.ExportBytes(ensemble, data.ColumnNames);

        var path = System.IO.Path.Combine(Directory.CreateTempSubdirectory("mlops-inference-bench-").FullName, $"deterioration_shipped_v{version}.onnx");
        File.WriteAllBytes(path, onnx);
        var trees = ensemble.Members.Sum(m => ((GbdtModel)m).Trees.Count);
        return new ShippedEnsemble(path, onnx, Convert.ToHexStringLower(SHA256.HashData(onnx)), new Workload(data.ColumnNames, test.Features),
            ensemble.Members.Count, trees, train.Rows, trainingTime);
    }

    public string Describe() => FormattableString.Invariant(
        $"{Members}-member bagged GBDT, {Trees} trees, {Workload.FeatureCount} features (shipped set), {Onnx.Length / 1024.0:F0} KiB ONNX, trained on {TrainingRows} rows in {TrainingTime.TotalSeconds:F1} s; {Path}");

    /// <summary>Removes the temp folder the artifact was written to.</summary>
    public void Delete() => Directory.Delete(System.IO.Path.GetDirectoryName(Path)!, recursive: true);

    /// <summary>The generated columns under the shipped names, reordered into the feature set's order.</summary>
    static TabularData Rename(TabularData generated, IReadOnlyList<string> names)
    {
        var free = new Queue<string>(names.Where(n => !SignalColumns.ContainsValue(n)));
        var nameOfColumn = generated.ColumnNames.Select(c => SignalColumns.TryGetValue(c, out var shipped) ? shipped : free.Dequeue()).ToList();
        var source = names.Select(n => nameOfColumn.IndexOf(n)).ToArray();
        var features = new float[generated.Features.Length];
        for (var r = 0; r < generated.Rows; r++)
        {
            var from = generated.Row(r);
            var to = features.AsSpan(r * names.Count, names.Count);
            for (var c = 0; c < names.Count; c++)
            {
                to[c] = from[source[c]];
            }
        }

        return new TabularData(features, generated.Labels, names.Count, names);
    }
}
