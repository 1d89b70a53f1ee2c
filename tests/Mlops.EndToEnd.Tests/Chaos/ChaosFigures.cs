using System.Globalization;

namespace Mlops.EndToEnd.Tests.Chaos;

/// <summary>What one fault did to the stream: the row of docs/reliability.md's table.</summary>
public sealed record ChaosFigures(
    string Fault,
    TimeSpan FaultDuration,
    int Sent,
    int InFlight,
    PipelineAudit Audit,
    TimeSpan? Recovery,
    string Answers,
    string Saga)
{
    /// <summary>
    /// Lost anywhere along the pipeline: the largest of the observation stages' counts (a loss early is a loss later
    /// too), plus predictions monitoring never recorded.
    /// </summary>
    public int Lost => Math.Max(Audit.LostAtIngestion, Math.Max(Audit.LostOnTopic, Audit.LostAtFeatures)) + Audit.LostAtMonitoring;

    /// <summary>
    /// Applied twice: an observation re-published as a new event, a computation published twice, an extra prediction,
    /// a prediction monitoring recorded twice.
    /// </summary>
    public int Duplicated => Audit.ObservationsRepublishedAsNewEvents + Audit.FeatureEventsAppliedTwice + Audit.DuplicatePredictions + Audit.StoredTwiceAtMonitoring;

    public const string Header = "| fault | fault lasted | observations sent | in flight | lost | applied twice | feature events → predictions | recovery | intake answers | saga |";

    public const string Rule = "|---|---|---|---|---|---|---|---|---|---|";

    public string Row() => string.Create(CultureInfo.InvariantCulture,
        $"| {Fault} | {FaultDuration.TotalSeconds:0.0} s | {Sent} | {InFlight} | {Lost} | {Duplicated} | {Audit.FeatureEvents} → {Audit.Predictions} | " +
        $"{(Recovery is { } r ? $"{r.TotalSeconds:0.0} s" : "not recovered")} | {Answers} | {Saga} |");
}
