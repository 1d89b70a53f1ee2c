// Training-time benchmark: the 10-member bagged boosted ensemble in C# against, in the same run and with the same
// settings, LightGBM's native library (10 boosters on the very same bootstrap samples, through its C API) and
// scikit-learn's HistGradientBoostingClassifier fitted 10 times (same bootstrap scheme) on the same data as CSV.
// Usage: dotnet run -c Release --project tests/benchmarks/Mlops.Training.Benchmarks -- [rows] [features] [members] [all|lightgbm|none]
// ("lightgbm" leaves scikit-learn out, "none" both baselines: minutes saved when profiling the C# trainer).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mlops.Training.Algorithms;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Ensembles;
using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Algorithms.Gbdt;
using Mlops.Training.Benchmarks;

var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var features = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
var members = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
var baselines = args.Length > 3 ? args[3] : "all";
var withScikitLearn = baselines == "all";
var withLightGbm = baselines != "none";
var options = new GbdtOptions { Rounds = 100, LearningRate = 0.1, MaxLeaves = 31, MinSamplesLeaf = 20, L2Regularization = 0 };

var all = DeteriorationScenario.Generate(rows + rows / 5, seed: 2024, features: features);
var train = all.Select(Enumerable.Range(0, rows).ToArray());
var test = all.Select(Enumerable.Range(rows, rows / 5).ToArray());
var dir = Directory.CreateTempSubdirectory("mlops-bench-").FullName;
CsvData.Write(train, Path.Combine(dir, "train.csv"));
CsvData.Write(test, Path.Combine(dir, "test.csv"));
Console.WriteLine($"data: {rows} training rows × {features} features, {test.Rows} test rows; {members} members × {options.Rounds} rounds, {options.MaxLeaves} leaves; {Environment.ProcessorCount} cores");

// JIT warm-up on a small slice, so the measurement is steady-state code as in a long-running service.
BaggedEnsembleTrainer.FitBoosted(train.Select(Enumerable.Range(0, 2000).ToArray()), options with { Rounds = 5 }, new EnsembleOptions { Members = 2 });

var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var sw = Stopwatch.StartNew();
var ensemble = BaggedEnsembleTrainer.FitBoosted(train, options, new EnsembleOptions { Members = members, Seed = 1 });
var csharpSeconds = sw.Elapsed.TotalSeconds;
var csharpCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
var csharpAuroc = BinaryMetrics.Auroc(test.Labels, ensemble.PredictProbabilities(test));

// LightGBM: a warm-up (loads the library), then the ensemble run as ours runs it — members in parallel, one per core,
// each booster with num_threads=1. (One booster after another with num_threads=2 was tried too: on this shared 2-core
// machine OpenMP's spinning barriers made it 5–10× slower and minutes long, so it measured the load, not LightGBM.)
(double Seconds, double Cpu, double Auroc) lightGbm = default;
if (withLightGbm)
{
    LightGbmBaseline.Run(train.Select(Enumerable.Range(0, 2000).ToArray()), test, options with { Rounds = 5 }, 2, seed: 1, 2, 1);
    lightGbm = LightGbmBaseline.Run(train, test, options, members, seed: 1, Environment.ProcessorCount, threadsPerMember: 1);
}

const string Script = """
    import json, sys, time
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    d, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    tr = np.genfromtxt(d + "/train.csv", delimiter=",", skip_header=1)
    te = np.genfromtxt(d + "/test.csv", delimiter=",", skip_header=1)
    X, y, Xt = tr[:, :-1], tr[:, -1], te[:, :-1]
    p = np.zeros(len(Xt)); t0 = time.perf_counter(); c0 = time.process_time()
    for m in range(first, last):
        idx = np.sort(np.random.RandomState(1000 + m).randint(0, len(y), len(y)))
        clf = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20,
                                             l2_regularization=0.0, max_bins=255, early_stopping=False, random_state=m)
        clf.fit(X[idx], y[idx])
        p += clf.predict_proba(Xt)[:, 1]
    print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "p": p.tolist()}))
    """;
var scriptPath = Path.Combine(dir, "baseline.py");
File.WriteAllText(scriptPath, Script);

// Baseline 1: one process, members one after another, OpenMP over both cores (scikit-learn's default use of the machine).
var sequential = withScikitLearn ? RunBaseline([(0, members)], ompThreads: 2) : default;
// Baseline 2: like the C# trainer, members split over two single-threaded processes running at once.
var split = withScikitLearn ? RunBaseline([(0, members / 2), (members / 2, members)], ompThreads: 1) : default;
Directory.Delete(dir, recursive: true);

Console.WriteLine($"{"",-58} {"wall",9} {"CPU",9}   AUROC   wall ratio  CPU ratio (C#/baseline)  AUROC C# − baseline");
Console.WriteLine($"{"C# bagged GBDT ensemble (members in parallel, 1 thread each)",-58} {csharpSeconds,8:F2}s {csharpCpu,8:F2}s   {csharpAuroc:F4}");
if (withLightGbm)
{
    Print($"LightGBM 4.7.0 ×{members} (members in parallel, 1 thread each)", lightGbm);
}

if (withScikitLearn)
{
    Print($"scikit-learn HGB ×{members}, sequential, OpenMP 2 threads", sequential);
    Print($"scikit-learn HGB ×{members}, 2 processes × 1 thread", split);
}

Console.WriteLine("(C# and LightGBM: binning + fit, in this process; scikit-learn: fit + test prediction, CSV parsing excluded. CPU =");
Console.WriteLine(" process CPU time, summed over processes: on a shared machine it is the steadier comparison; wall time is what a");
Console.WriteLine(" single user would see.)");

void Print(string label, (double Seconds, double Cpu, double Auroc) b) =>
    Console.WriteLine($"{label,-58} {b.Seconds,8:F2}s {b.Cpu,8:F2}s   {b.Auroc:F4}   {csharpSeconds / b.Seconds,9:F2}  {csharpCpu / b.Cpu,9:F2}  {csharpAuroc - b.Auroc,+22:+0.0000;-0.0000}");

(double Seconds, double Cpu, double Auroc) RunBaseline((int First, int Last)[] parts, int ompThreads)
{
    var processes = parts.Select(part =>
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true };
        psi.ArgumentList.Add(scriptPath);
        psi.ArgumentList.Add(dir);
        psi.ArgumentList.Add(part.First.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(part.Last.ToString(CultureInfo.InvariantCulture));
        psi.Environment["OMP_NUM_THREADS"] = ompThreads.ToString(CultureInfo.InvariantCulture);
        var process = Process.Start(psi)!;
        return (process, output: process.StandardOutput.ReadToEndAsync());
    }).ToList();
    var p = new double[test.Rows];
    double seconds = 0, cpu = 0;
    foreach (var (process, output) in processes)
    {
        var result = JsonDocument.Parse(output.Result).RootElement;
        process.WaitForExit();
        process.Dispose();
        seconds = Math.Max(seconds, result.GetProperty("seconds").GetDouble());
        cpu += result.GetProperty("cpu").GetDouble();
        var i = 0;
        foreach (var v in result.GetProperty("p").EnumerateArray())
        {
            p[i++] += v.GetDouble() / members;
        }
    }

    return (seconds, cpu, BinaryMetrics.Auroc(test.Labels, p));
}
