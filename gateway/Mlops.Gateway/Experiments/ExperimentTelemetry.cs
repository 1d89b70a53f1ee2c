using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Gateway.Experiments;

/// <summary>Spans and metrics of the experiment API.</summary>
public static class ExperimentTelemetry
{
    public const string Name = "Mlops.Gateway.Experiments";

    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Observations = Meter.CreateCounter<long>("mlops.gateway.experiment_observations", "{unit}", "Outcome units added to experiment arms.");
    internal static readonly Counter<long> OutcomeReadFailures = Meter.CreateCounter<long>("mlops.gateway.experiment_outcome_read_failures", "{read}", "Rounds in which an experiment's outcomes could not be read from monitoring.");
    internal static readonly Counter<long> Stopped = Meter.CreateCounter<long>("mlops.gateway.experiments_stopped", "{experiment}", "Experiments stopped by an operator.");
    internal static readonly Counter<long> SampleRatioMismatches = Meter.CreateCounter<long>("mlops.gateway.experiment_srm", "{look}", "Looks at which an experiment's arms failed the sample-ratio check.");
}
