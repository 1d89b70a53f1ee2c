namespace Mlops.Contracts.Training;

/// <summary>Command: train, evaluate, export, verify and register a model from a point-in-time training set.</summary>
public sealed record StartTrainingRun
{
    /// <summary>Run id, chosen by the sender so it can follow the run (the saga's correlation id).</summary>
    public required Guid RunId { get; init; }

    /// <summary>Registered model name the result is registered under.</summary>
    public required string ModelName { get; init; }

    /// <summary>Semantic version to register; defaults to <c>1.0.0-run.{runId}</c>.</summary>
    public string? ModelVersion { get; init; }

    /// <summary>Feature-set version every training row must have been computed with.</summary>
    public required string FeatureSetVersion { get; init; }

    /// <summary>Dataset version (lineage) the labels and observations come from.</summary>
    public required string DatasetVersion { get; init; }

    /// <summary>Label to learn (as named in the features service).</summary>
    public required string LabelName { get; init; }

    /// <summary>One of <c>gbdt</c>, <c>logistic_regression</c>, <c>bagged_gbdt</c>.</summary>
    public required string Algorithm { get; init; }

    /// <summary>Fixed hyperparameters by name (e.g. <c>rounds</c>, <c>learning_rate</c>, <c>max_leaves</c>, <c>l2</c>, <c>members</c>).</summary>
    public IReadOnlyDictionary<string, double> Hyperparameters { get; init; } = new Dictionary<string, double>();

    /// <summary>Optional search space; when present each trial becomes a child run and the best is refit.</summary>
    public IReadOnlyList<SearchParameter> SearchSpace { get; init; } = [];

    /// <summary>Random-search trials; 0 means a full grid.</summary>
    public int SearchTrials { get; init; }

    /// <summary>Seed of every random choice; same inputs and seed give a byte-identical model.</summary>
    public int Seed { get; init; }

    /// <summary>Who asked for the run.</summary>
    public required string RequestedBy { get; init; }

    /// <summary>Feature whose value defines subgroups for the fairness view; the service's default when null.</summary>
    public string? SubgroupFeature { get; init; }

    /// <summary>
    /// Features to train on: names or patterns with <c>*</c> (e.g. <c>heart_rate_*</c>); every feature of the training
    /// set when empty. A name or pattern that matches no feature is refused.
    /// </summary>
    public IReadOnlyList<string> Features { get; init; } = [];

    /// <summary>
    /// A registered version of <see cref="ModelName"/> (normally the champion) to score on the run's held-out rows beside
    /// the new model, so the two are compared on the same rows; its figures are recorded with the run's metrics
    /// (<c>compared_auroc</c>, …) and never gate the run. Null: no comparison.
    /// </summary>
    public string? CompareWithVersion { get; init; }

    /// <summary>
    /// Train on a recent window only: the training set holds only labels whose event time is at or after this instant
    /// (the features service filters them). Null: every label of the dataset version.
    /// </summary>
    public DateTimeOffset? LabelsFrom { get; init; }
}

/// <summary>One searched hyperparameter: either explicit values, or a range.</summary>
public sealed record SearchParameter
{
    /// <summary>Hyperparameter name.</summary>
    public required string Name { get; init; }

    /// <summary>Explicit candidate values (a choice); when empty, <see cref="Low"/>..<see cref="High"/> is used.</summary>
    public IReadOnlyList<double> Values { get; init; } = [];

    /// <summary>Lower bound of a range.</summary>
    public double? Low { get; init; }

    /// <summary>Upper bound of a range.</summary>
    public double? High { get; init; }

    /// <summary>Sample the range log-uniformly.</summary>
    public bool Log { get; init; }

    /// <summary>Round sampled values to integers.</summary>
    public bool Integer { get; init; }
}
