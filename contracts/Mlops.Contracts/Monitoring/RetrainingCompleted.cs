namespace Mlops.Contracts.Monitoring;

/// <summary>Event: a retraining ended, with its outcome and the evidence it was decided on.</summary>
[EventType("mlops.monitoring.retraining-completed.v1")]
public sealed record RetrainingCompleted
{
    public required Guid RetrainingId { get; init; }

    public required string ModelName { get; init; }

    public required string Trigger { get; init; }

    /// <summary>One of <see cref="RetrainingOutcomes"/>.</summary>
    public required string Outcome { get; init; }

    public required string Reason { get; init; }

    /// <summary>The champion the candidate was compared with (null when the retraining failed before reading it).</summary>
    public string? ChampionVersion { get; init; }

    /// <summary>The version the training run registered (null when training did not complete).</summary>
    public string? CandidateVersion { get; init; }

    /// <summary>Both models' figures on the candidate's held-out rows (null when evaluation was not reached).</summary>
    public RetrainingComparison? Comparison { get; init; }

    /// <summary>The canary rollout of the candidate, when one was started.</summary>
    public Guid? RolloutId { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }
}

/// <summary>How a retraining ended.</summary>
public static class RetrainingOutcomes
{
    /// <summary>The candidate passed the promotion policy and its canary rollout made it champion.</summary>
    public const string Promoted = nameof(Promoted);

    /// <summary>The candidate was not better than the champion on the same rows (figures in the evidence).</summary>
    public const string Rejected = nameof(Rejected);

    /// <summary>A step could not be done (no champion, training failed, timeout, rollout refused).</summary>
    public const string Failed = nameof(Failed);

    /// <summary>The canary rollout took the candidate's traffic away (breach, refusal or abort).</summary>
    public const string RolledBack = nameof(RolledBack);
}

/// <summary>The candidate's and the champion's figures on the same held-out rows, and the policy's verdict.</summary>
public sealed record RetrainingComparison
{
    public required ModelFigures Candidate { get; init; }

    /// <summary>Null when the champion could not score the rows (see <see cref="ChampionProblem"/>): the comparison fails closed.</summary>
    public ModelFigures? Champion { get; init; }

    public string? ChampionProblem { get; init; }

    /// <summary>Held-out rows both were scored on.</summary>
    public required int Rows { get; init; }

    public required bool Promote { get; init; }

    /// <summary>Every rule of the policy with the figures it compared, passed or not.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }
}

/// <summary>AUROC, log loss and Brier score of one model on the held-out rows.</summary>
public sealed record ModelFigures
{
    public required double Auroc { get; init; }

    public required double LogLoss { get; init; }

    public required double Brier { get; init; }
}
