namespace Mlops.Contracts.Monitoring;

/// <summary>Event: a retraining request passed the debounce; starts the retraining saga (id = the request's id).</summary>
public sealed record RetrainingAccepted
{
    public required Guid RetrainingId { get; init; }

    public required RequestRetraining Request { get; init; }
}

/// <summary>Command: read the champion, its training run and a fresh dataset snapshot; answer with the training plan.</summary>
public sealed record PrepareRetraining
{
    public required Guid RetrainingId { get; init; }

    public required string ModelName { get; init; }
}

/// <summary>Event: the champion's recipe read and the data snapshot made; the training run to start.</summary>
public sealed record RetrainingPrepared
{
    public required Guid RetrainingId { get; init; }

    public required string ChampionVersion { get; init; }

    /// <summary>The champion's own training run (its algorithm, hyperparameters, label and features are reused).</summary>
    public required string ChampionRunId { get; init; }

    public required string DatasetVersion { get; init; }

    public required string FeatureSetVersion { get; init; }

    public required string LabelName { get; init; }

    public required string Algorithm { get; init; }

    public IReadOnlyDictionary<string, double> Hyperparameters { get; init; } = new Dictionary<string, double>();

    public IReadOnlyList<string> Features { get; init; } = [];

    public int Seed { get; init; }

    /// <summary>The recent window trained on: labels from this instant on (the model's <c>trainingWindow</c> setting); null: all of the snapshot.</summary>
    public DateTimeOffset? LabelsFrom { get; init; }
}

/// <summary>Command: read a completed run's figures and the champion's on the same held-out rows.</summary>
public sealed record EvaluateRetrainingCandidate
{
    public required Guid RetrainingId { get; init; }

    public required Guid RunId { get; init; }

    public required string ChampionVersion { get; init; }
}

/// <summary>Event: both models' figures on the run's held-out rows (the saga's promotion policy judges them).</summary>
public sealed record RetrainingCandidateEvaluated
{
    public required Guid RetrainingId { get; init; }

    public required ModelFigures Candidate { get; init; }

    public ModelFigures? Champion { get; init; }

    /// <summary>Why the champion has no figures (different features, unreadable artifact, …).</summary>
    public string? ChampionProblem { get; init; }

    public required int Rows { get; init; }
}

/// <summary>Command: start the registry's canary rollout of the candidate (which first becomes challenger).</summary>
public sealed record StartRetrainingRollout
{
    public required Guid RetrainingId { get; init; }

    public required string ModelName { get; init; }

    public required string CandidateVersion { get; init; }
}

/// <summary>Event: the registry accepted the rollout.</summary>
public sealed record RetrainingRolloutStarted
{
    public required Guid RetrainingId { get; init; }

    public required Guid RolloutId { get; init; }
}

/// <summary>Event: a step failed for a reason retrying cannot change (no champion, a 4xx from another service).</summary>
public sealed record RetrainingStepFailed
{
    public required Guid RetrainingId { get; init; }

    public required string Step { get; init; }

    public required string Reason { get; init; }
}

/// <summary>Event: the persisted deadline of the retraining's current step passed (published by monitoring's sweeper).</summary>
public sealed record RetrainingTimedOut
{
    public required Guid RetrainingId { get; init; }

    /// <summary>The state whose deadline passed, so a late signal for an earlier step changes nothing.</summary>
    public required string State { get; init; }
}
