using Mlops.Contracts.Registry;

namespace Mlops.Monitoring.Retraining;

/// <summary>The retraining saga (section <c>Monitoring:Retraining</c>): triggers per model, debounce, policy, rollout, timeouts.</summary>
public sealed class RetrainingOptions
{
    public const string Section = "Monitoring:Retraining";

    /// <summary>Models that may be retrained, by registered name; a request for any other model is refused.</summary>
    public Dictionary<string, RetrainingModelOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>After a retraining ends, requests for the same model are debounced for this long.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromHours(6);

    /// <summary>The candidate's AUROC must reach the champion's plus this (0: at least as good).</summary>
    public double MinAurocGain { get; set; }

    /// <summary>The candidate's log loss may exceed the champion's by at most this.</summary>
    public double LogLossTolerance { get; set; } = 0.01;

    /// <summary>The candidate's Brier score may exceed the champion's by at most this.</summary>
    public double BrierTolerance { get; set; } = 0.005;

    /// <summary>Reading the champion and making the data snapshot.</summary>
    public TimeSpan PrepareTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The training run, from the command to the registry's confirmation of the version.</summary>
    public TimeSpan TrainingTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Reading both models' figures.</summary>
    public TimeSpan EvaluationTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The whole canary rollout; past it the rollout is aborted and the retraining fails.</summary>
    public TimeSpan RolloutTimeout { get; set; } = TimeSpan.FromHours(12);

    /// <summary>How often persisted deadlines are checked.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a worker step keeps retrying while another service does not answer, before giving the message back.</summary>
    public TimeSpan DependencyRetryLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The canary rollout the registry runs for a candidate that passed the policy.</summary>
    public RetrainingRolloutOptions Rollout { get; set; } = new();

    public Uri? RegistryBaseAddress { get; set; }

    public Uri? IngestionBaseAddress { get; set; }

    /// <summary>Queue of the saga.</summary>
    public string Endpoint { get; set; } = "monitoring-retraining";

    public static bool IsValid(RetrainingOptions o) =>
        o.Cooldown >= TimeSpan.Zero && o.MinAurocGain is >= -1 and <= 1 && o.LogLossTolerance >= 0 && o.BrierTolerance >= 0
        && o.PrepareTimeout > TimeSpan.Zero && o.TrainingTimeout > TimeSpan.Zero && o.EvaluationTimeout > TimeSpan.Zero && o.RolloutTimeout > TimeSpan.Zero
        && o.SweepInterval > TimeSpan.Zero && o.DependencyRetryLimit > TimeSpan.Zero
        && o.RegistryBaseAddress is { IsAbsoluteUri: true } && o.IngestionBaseAddress is { IsAbsoluteUri: true } && !string.IsNullOrWhiteSpace(o.Endpoint)
        && o.Rollout.IsValid() && o.Models.Values.All(m => m.IsValid());
}
