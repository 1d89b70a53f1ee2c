using System.Diagnostics;
using System.Globalization;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Ensembles;
using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Algorithms.Gbdt;
using static Mlops.Training.Benchmarks.LightGbmNative;

namespace Mlops.Training.Benchmarks;

/// <summary>
/// The bagged ensemble rebuilt with LightGBM boosters: one booster per member on exactly the bootstrap sample our
/// trainer draws for that member (<see cref="BaggedEnsembleTrainer.BootstrapSample"/>), with bins fitted once on the
/// full training set and shared (a reference Dataset), as our trainer does. LightGBM's own bagging
/// (bagging_fraction/bagging_freq) is not used: it subsamples without replacement afresh at every iteration inside
/// one booster, a different estimator from bootstrap-aggregated members, and would not be the same work.
/// </summary>
internal static class LightGbmBaseline
{
    public static (double Seconds, double Cpu, double Auroc) Run(
        TabularData train, TabularData test, GbdtOptions options, int members, int seed, int concurrentMembers, int threadsPerMember)
    {
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var binning = Parameters(options, Environment.ProcessorCount, seed);
        var reference = CreateDataset(train.Features, train.Rows, train.Columns, binning, IntPtr.Zero);
        var boosters = new IntPtr[members];
        var datasets = new IntPtr[members];
        Parallel.For(0, members, new ParallelOptions { MaxDegreeOfParallelism = concurrentMembers }, m =>
        {
            // The member's rows gathered as in our trainer (it gathers binned bytes; LightGBM bins them against the reference).
            var sample = BaggedEnsembleTrainer.BootstrapSample(train.Rows, seed, m);
            var features = new float[sample.Length * train.Columns];
            var labels = new float[sample.Length];
            for (var i = 0; i < sample.Length; i++)
            {
                train.Row(sample[i]).CopyTo(features.AsSpan(i * train.Columns, train.Columns));
                labels[i] = train.Labels[sample[i]];
            }

            var parameters = Parameters(options, threadsPerMember, seed + m);
            datasets[m] = CreateDataset(features, sample.Length, train.Columns, parameters, reference);
            SetLabels(datasets[m], labels);
            Check(LGBM_BoosterCreate(datasets[m], parameters, out boosters[m]), nameof(LGBM_BoosterCreate));
            for (var round = 0; round < options.Rounds; round++)
            {
                Check(LGBM_BoosterUpdateOneIter(boosters[m], out var finished), nameof(LGBM_BoosterUpdateOneIter));
                if (finished != 0)
                {
                    break;
                }
            }
        });
        var seconds = sw.Elapsed.TotalSeconds;
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;

        var mean = new double[test.Rows];
        foreach (var booster in boosters)
        {
            var p = Predict(booster, test);
            for (var i = 0; i < p.Length; i++)
            {
                mean[i] += p[i] / members;
            }
        }

        foreach (var booster in boosters)
        {
            Check(LGBM_BoosterFree(booster), nameof(LGBM_BoosterFree));
        }

        foreach (var dataset in datasets)
        {
            Check(LGBM_DatasetFree(dataset), nameof(LGBM_DatasetFree));
        }

        Check(LGBM_DatasetFree(reference), nameof(LGBM_DatasetFree));
        return (seconds, cpu, BinaryMetrics.Auroc(test.Labels, mean));
    }

    /// <summary>Our <see cref="GbdtOptions"/> in LightGBM's terms (MaxDepth 0 = unlimited is LightGBM's -1).</summary>
    private static string Parameters(GbdtOptions o, int threads, int seed) => string.Create(
        CultureInfo.InvariantCulture,
        $"objective=binary learning_rate={o.LearningRate} num_leaves={o.MaxLeaves} max_depth={(o.MaxDepth == 0 ? -1 : o.MaxDepth)} " +
        $"min_data_in_leaf={o.MinSamplesLeaf} min_sum_hessian_in_leaf={o.MinHessianLeaf} lambda_l2={o.L2Regularization} " +
        $"bagging_fraction={o.RowSubsample} feature_fraction={o.ColumnSubsample} max_bin={o.MaxBins} " +
        $"num_threads={threads} seed={seed} verbosity=-1");

    private static unsafe IntPtr CreateDataset(float[] features, int rows, int columns, string parameters, IntPtr reference)
    {
        fixed (float* data = features)
        {
            Check(LGBM_DatasetCreateFromMat(data, Float32, rows, columns, 1, parameters, reference, out var dataset), nameof(LGBM_DatasetCreateFromMat));
            return dataset;
        }
    }

    private static unsafe void SetLabels(IntPtr dataset, float[] labels)
    {
        fixed (float* data = labels)
        {
            Check(LGBM_DatasetSetField(dataset, "label", data, labels.Length, Float32), nameof(LGBM_DatasetSetField));
        }
    }

    private static unsafe double[] Predict(IntPtr booster, TabularData test)
    {
        var result = new double[test.Rows];
        fixed (float* data = test.Features)
        fixed (double* output = result)
        {
            Check(
                LGBM_BoosterPredictForMat(booster, data, Float32, test.Rows, test.Columns, 1, PredictNormal, 0, -1, "", out var length, output),
                nameof(LGBM_BoosterPredictForMat));
            if (length != test.Rows)
            {
                throw new InvalidOperationException($"LightGBM returned {length} predictions for {test.Rows} rows.");
            }
        }

        return result;
    }
}
