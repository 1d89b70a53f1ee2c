namespace Mlops.Gateway.Experiments;

/// <summary>An A/B experiment on one model: the first arm is the control every other arm is compared with.</summary>
public sealed record Experiment
{
    public required Guid Id { get; init; }

    public required string Name { get; init; }

    public required string ModelName { get; init; }

    public required IReadOnlyList<ExperimentArm> Arms { get; init; }

    /// <summary>Type I error of the sequential test (and 1 − coverage of its confidence sequences).</summary>
    public required double Alpha { get; init; }

    /// <summary>τ² of the mSPRT's normal mixing distribution over the difference (see <see cref="MixtureSprt"/>).</summary>
    public required double MixingVariance { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Outcomes counted by monitoring from delayed labels; null: counts are posted over HTTP.</summary>
    public ExperimentOutcome? Outcome { get; init; }

    /// <summary>When an operator stopped it: its counts are frozen from then on (null while it runs).</summary>
    public ExperimentStop? Stopped { get; init; }
}

/// <summary>Who stopped an experiment, when and why.</summary>
public sealed record ExperimentStop(DateTimeOffset At, string By, string Reason);

/// <summary>One arm: the variant it serves, its configured share, and its outcomes so far.</summary>
public sealed record ExperimentArm
{
    public required string Name { get; init; }

    /// <summary>The variant or version serving the arm (e.g. <c>champion</c>, <c>challenger</c>, or a version).</summary>
    public required string Variant { get; init; }

    /// <summary>Configured share of units (relative; the SRM check compares against it).</summary>
    public required double Weight { get; init; }

    public long Trials { get; init; }

    public long Successes { get; init; }

    /// <summary>Smallest mSPRT p-value against the control seen at any look so far (1 for the control).</summary>
    public double MinPValue { get; init; } = 1;
}
