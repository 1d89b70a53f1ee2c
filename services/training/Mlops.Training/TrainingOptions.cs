namespace Mlops.Training;

/// <summary>Settings of the training service (section <c>Training</c>).</summary>
public sealed class TrainingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Training";

    /// <summary>Features service base address (training sets are streamed from it).</summary>
    public string? FeaturesBaseAddress { get; set; }

    /// <summary>Registry service base address (model artifacts are uploaded to it).</summary>
    public string? RegistryBaseAddress { get; set; }

    /// <summary>Code version recorded with every run; <c>git rev-parse HEAD</c> at start-up when empty.</summary>
    public string? CodeVersion { get; set; }

    /// <summary>Fraction of the latest rows (by label time) held out for evaluation.</summary>
    public double TestFraction { get; set; } = 0.2;

    /// <summary>Fraction of the latest training rows used to rank search trials.</summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>Smallest share of the minority class accepted.</summary>
    public double MinMinorityFraction { get; set; } = 0.01;

    /// <summary>Largest missing rate of a feature kept; a feature missing more often is left out of the run (and recorded so).</summary>
    public double MaxMissingRate { get; set; } = 0.95;

    /// <summary>Fewest features a run trains on once the too-sparse ones are left out; fewer fail ValidateData.</summary>
    public int MinFeatures { get; set; } = 3;

    /// <summary>Fewest rows a run trains on.</summary>
    public int MinRows { get; set; } = 50;

    /// <summary>
    /// Keep a run's rows, matrix and model in memory between its steps (a cache: every step also stores its outputs in
    /// the database). False frees them after each step, and each step loads its inputs from the database.
    /// </summary>
    public bool KeepWorkspaceInMemory { get; set; } = true;

    /// <summary>
    /// Feature whose value defines the subgroups evaluation reports on (fairness view, e.g. a ward or sex code); none
    /// when empty. A run's <c>StartTrainingRun.SubgroupFeature</c> takes precedence.
    /// </summary>
    public string? SubgroupFeature { get; set; }

    /// <summary>Most distinct values the subgroup feature may take in the test rows (a continuous feature is refused).</summary>
    public int MaxSubgroups { get; set; } = 20;

    /// <summary>One-row predictions timed through ONNX Runtime in the Verify step.</summary>
    public int LatencySamples { get; set; } = 1000;

    /// <summary>
    /// How long a step keeps retrying a dependency that does not answer (the registry, the features service, the
    /// database: <c>TransientFailure</c>) before the run fails at that step with the last error. Transient failures
    /// never fail a run sooner; a restart of the registry takes seconds.
    /// </summary>
    public TimeSpan DependencyRetryLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest pause between two tries of a step whose dependency does not answer (doubling from 250 ms).</summary>
    public TimeSpan DependencyMaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Validates the bound values.</summary>
    public static bool IsValid(TrainingOptions o) =>
        o.TestFraction is > 0 and < 1 && o.ValidationFraction is > 0 and < 1 && o.MinMinorityFraction is >= 0 and < 0.5
        && o.MaxMissingRate is >= 0 and <= 1 && o.MinFeatures >= 1 && o.MinRows >= 2 && o.MaxSubgroups >= 1 && o.LatencySamples >= 1
        && o.DependencyRetryLimit > TimeSpan.Zero && o.DependencyMaxBackoff > TimeSpan.Zero;
}
