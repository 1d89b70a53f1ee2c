namespace Mlops.Gateway.Experiments;

/// <summary>
/// Where an experiment's outcomes come from when monitoring counts them: each arm's units are its labelled predictions
/// since the experiment started (delayed labels joined by monitoring, by <c>predictionId</c> or entity and horizon),
/// and a unit is a success as <see cref="Success"/> says.
/// </summary>
public sealed record ExperimentOutcome
{
    /// <summary>One of <see cref="ExperimentSuccess"/>.</summary>
    public required string Success { get; init; }

    /// <summary>Decision threshold on the probability, for <see cref="ExperimentSuccess.Correct"/>.</summary>
    public double? Threshold { get; init; }
}

/// <summary>What makes a labelled prediction a success (a higher rate is better, as the decision reads it).</summary>
public static class ExperimentSuccess
{
    /// <summary>The unit did not have the adverse outcome (e.g. no deterioration): an arm whose alerts prompt care lowers it.</summary>
    public const string NegativeLabel = "label-negative";

    /// <summary>The unit had the outcome the label names (for labels of a good outcome).</summary>
    public const string PositiveLabel = "label-positive";

    /// <summary>The prediction at the threshold agreed with the label.</summary>
    public const string Correct = "correct";

    public static readonly string[] All = [NegativeLabel, PositiveLabel, Correct];
}
