using Mlops.Training.Algorithms.Gbdt;
using Mlops.Training.Algorithms.Linear;

namespace Mlops.Training.Algorithms.Search;

/// <summary>What one trial achieved: the validation metric the search ranks by, plus any other metrics to track.</summary>
public sealed record TrialResult(Trial Trial, double Score, IReadOnlyDictionary<string, double> Metrics);

/// <summary>Receives every trial as it runs — where experiment tracking records each one as a child run.</summary>
public interface ITrialObserver
{
    void TrialStarted(Trial trial);

    void TrialCompleted(TrialResult result);
}

/// <summary>All trials in order and the best one.</summary>
public sealed record SearchResult(IReadOnlyList<TrialResult> Trials, TrialResult Best);

/// <summary>Grid and random search over a declared space; the best trial is the one with the highest (or lowest) score.</summary>
public static class HyperparameterSearch
{
    /// <summary>The cartesian product of every parameter's grid values, first parameter varying slowest.</summary>
    public static IReadOnlyList<Trial> Grid(SearchSpace space)
    {
        IEnumerable<Dictionary<string, double>> points = [new Dictionary<string, double>()];
        foreach (var p in space.Parameters)
        {
            points = points.SelectMany(point => p.GridValues.Select(v => new Dictionary<string, double>(point) { [p.Name] = v })).ToList();
        }

        return points.Select((point, i) => new Trial(i, point)).ToArray();
    }

    /// <summary><paramref name="count"/> independent draws; the same seed gives the same trials.</summary>
    public static IReadOnlyList<Trial> Random(SearchSpace space, int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var rng = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(i => new Trial(i, space.Parameters.ToDictionary(p => p.Name, p => p.Sample(rng))))
            .ToArray();
    }

    public static SearchResult Run(
        IReadOnlyList<Trial> trials,
        Func<Trial, CancellationToken, TrialResult> evaluate,
        bool higherIsBetter = true,
        ITrialObserver? observer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evaluate);
        if (trials.Count == 0)
        {
            throw new ArgumentException("No trials to run.", nameof(trials));
        }

        using var activity = TrainingTelemetry.Source.StartActivity("hpo.search");
        var results = new List<TrialResult>(trials.Count);
        TrialResult? best = null;
        foreach (var trial in trials)
        {
            cancellationToken.ThrowIfCancellationRequested();
            observer?.TrialStarted(trial);
            var result = evaluate(trial, cancellationToken);
            observer?.TrialCompleted(result);
            results.Add(result);
            // Strictly better only: among equal scores the earliest trial wins, so the choice is reproducible.
            if (best is null || (higherIsBetter ? result.Score > best.Score : result.Score < best.Score))
            {
                best = result;
            }
        }

        return new SearchResult(results, best!);
    }

    /// <summary>Applies known parameter names (rounds, learning_rate, max_leaves, max_depth, min_samples_leaf, l2, row_subsample, column_subsample) to boosting options.</summary>
    public static GbdtOptions Apply(GbdtOptions options, IReadOnlyDictionary<string, double> parameters)
    {
        foreach (var (name, value) in parameters)
        {
            options = name switch
            {
                "rounds" => options with { Rounds = (int)value },
                "learning_rate" => options with { LearningRate = value },
                "max_leaves" => options with { MaxLeaves = (int)value },
                "max_depth" => options with { MaxDepth = (int)value },
                "min_samples_leaf" => options with { MinSamplesLeaf = (int)value },
                "l2" => options with { L2Regularization = value },
                "row_subsample" => options with { RowSubsample = value },
                "column_subsample" => options with { ColumnSubsample = value },
                _ => throw new ArgumentException($"Unknown boosting parameter '{name}'."),
            };
        }

        return options;
    }

    /// <summary>Applies the parameter name "l2" to logistic-regression options.</summary>
    public static LogisticRegressionOptions Apply(LogisticRegressionOptions options, IReadOnlyDictionary<string, double> parameters)
    {
        foreach (var (name, value) in parameters)
        {
            options = name switch
            {
                "l2" => options with { L2 = value },
                _ => throw new ArgumentException($"Unknown logistic-regression parameter '{name}'."),
            };
        }

        return options;
    }
}
