using System.Diagnostics.Metrics;

namespace Mlops.Training;

/// <summary>Metrics of the training service (meter <c>Mlops.Training</c>; the platform listens to every <c>Mlops.*</c> meter).</summary>
internal static class TrainingMetrics
{
    static readonly Meter Meter = new(Algorithms.TrainingTelemetry.SourceName);

    /// <summary>Runs ended, tagged <c>status</c> and (when failed or cancelled) <c>step</c>.</summary>
    public static readonly Counter<long> RunsEnded = Meter.CreateCounter<long>("mlops.training.runs_ended", "{run}", "Training runs that ended.");

    /// <summary>Features ValidateData left out for missing too often.</summary>
    public static readonly Counter<long> FeaturesExcluded = Meter.CreateCounter<long>("mlops.training.features_excluded", "{feature}", "Features left out of runs as too sparse.");

    /// <summary>Runs whose model did not beat the rule or the constant predictor.</summary>
    public static readonly Counter<long> QualityGateFailures = Meter.CreateCounter<long>("mlops.training.quality_gate_failures", "{run}", "Runs failed by the minimum-quality gate.");

    /// <summary>Steps run again because a dependency did not answer, tagged <c>step</c>.</summary>
    public static readonly Counter<long> DependencyRetries = Meter.CreateCounter<long>("mlops.training.dependency_retries", "{retry}", "Steps run again because a dependency did not answer.");

    /// <summary>Training rows read by ValidateData, tagged <c>source</c> (<c>dataset</c> or <c>store</c>).</summary>
    public static readonly Counter<long> TrainingSetRows = Meter.CreateCounter<long>("mlops.training.training_set_rows", "{row}", "Training rows read, by what they were built from.");

    /// <summary>Runs the registry answered neither way within the confirmation timeout.</summary>
    public static readonly Counter<long> RegistrationTimeouts = Meter.CreateCounter<long>("mlops.training.registration_timeouts", "{run}", "Runs timed out waiting for the registry.");
}
