using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Gbdt;
using Mlops.Training.Algorithms.Linear;

namespace Mlops.Training.Algorithms.Ensembles;

/// <summary>
/// N members fitted on bootstrap samples with different seeds; the mean of their probabilities is the prediction
/// and their standard deviation its uncertainty.
/// </summary>
public sealed class BaggedEnsemble : IBinaryClassifier
{
    public BaggedEnsemble(IReadOnlyList<IBinaryClassifier> members)
    {
        if (members.Count == 0 || members.Any(m => m.FeatureCount != members[0].FeatureCount))
        {
            throw new ArgumentException("An ensemble needs at least one member, all over the same features.", nameof(members));
        }

        Members = members;
    }

    public IReadOnlyList<IBinaryClassifier> Members { get; }

    public int FeatureCount => Members[0].FeatureCount;

    public double PredictProbability(ReadOnlySpan<float> row) => Predict(row).Mean;

    /// <summary>Mean member probability and the members' (population) standard deviation around it.</summary>
    public (double Mean, double StandardDeviation) Predict(ReadOnlySpan<float> row)
    {
        Span<double> p = stackalloc double[Members.Count];
        double mean = 0;
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = Members[i].PredictProbability(row);
            mean += p[i];
        }

        mean /= p.Length;
        double variance = 0;
        foreach (var v in p)
        {
            variance += (v - mean) * (v - mean);
        }

        return (mean, Math.Sqrt(variance / p.Length));
    }
}

/// <summary>Settings of a bagged ensemble.</summary>
public sealed record EnsembleOptions
{
    public int Members { get; init; } = 10;

    public int Seed { get; init; }

    public void Validate()
    {
        if (Members < 1)
        {
            throw new ArgumentException($"{nameof(Members)} must be ≥ 1.");
        }
    }
}

/// <summary>Fits ensembles; members train in parallel (one per core), each single-threaded, so results do not depend on scheduling.</summary>
public static class BaggedEnsembleTrainer
{
    public static BaggedEnsemble FitBoosted(TabularData train, GbdtOptions member, EnsembleOptions ensemble, TabularData? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        member.Validate();
        ensemble.Validate();
        using var activity = TrainingTelemetry.Source.StartActivity("ensemble.fit");
        // Bins are fitted once on the full training set and shared: a bootstrap sample only gathers rows.
        var mapper = BinMapper.Fit(train.Features, train.Rows, train.Columns, member.MaxBins, ensemble.Seed);
        var columns = mapper.Transform(train.Features, train.Rows);
        var validColumns = validation is null ? null : mapper.Transform(validation.Features, validation.Rows);
        var members = new IBinaryClassifier[ensemble.Members];
        Parallel.For(0, ensemble.Members, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, m =>
        {
            var sample = BootstrapSample(train.Rows, ensemble.Seed, m);
            var sampleColumns = new byte[columns.Length][];
            for (var f = 0; f < columns.Length; f++)
            {
                var col = new byte[sample.Length];
                for (var i = 0; i < sample.Length; i++)
                {
                    col[i] = columns[f][sample[i]];
                }

                sampleColumns[f] = col;
            }

            var labels = sample.Select(r => train.Labels[r]).ToArray();
            var options = member with { Seed = MemberSeed(ensemble.Seed, m), Parallel = ensemble.Members == 1 };
            members[m] = GbdtTrainer.FitBinned(mapper, sampleColumns, labels, validColumns, validation?.Labels, options);
        });
        return new BaggedEnsemble(members);
    }

    public static BaggedEnsemble FitLogistic(TabularData train, LogisticRegressionOptions member, EnsembleOptions ensemble)
    {
        ArgumentNullException.ThrowIfNull(train);
        ensemble.Validate();
        using var activity = TrainingTelemetry.Source.StartActivity("ensemble.fit");
        var members = new IBinaryClassifier[ensemble.Members];
        for (var m = 0; m < ensemble.Members; m++)
        {
            members[m] = LogisticRegressionTrainer.Fit(train.Select(BootstrapSample(train.Rows, ensemble.Seed, m)), member);
        }

        return new BaggedEnsemble(members);
    }

    private static int MemberSeed(int seed, int member) => unchecked((seed * 7919) + member + 1);

    /// <summary>
    /// The sorted row indices (drawn with replacement) member <paramref name="member"/> of an ensemble seeded with
    /// <paramref name="seed"/> is fitted on; public so a baseline can be fitted on exactly the same samples.
    /// </summary>
    public static int[] BootstrapSample(int rows, int seed, int member)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        var rng = new Random(MemberSeed(seed, member));
        var sample = new int[rows];
        for (var i = 0; i < rows; i++)
        {
            sample[i] = rng.Next(rows);
        }

        Array.Sort(sample);
        return sample;
    }
}
