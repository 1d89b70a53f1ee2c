namespace Mlops.Cli.Core.Ward;

/// <summary>Shape of a synthetic ward. Everything but <see cref="End"/> is deterministic given <see cref="Seed"/>.</summary>
public sealed record WardOptions
{
    /// <summary>Label name of the scenario's outcome.</summary>
    public const string DefaultLabelName = "deterioration_24h";

    /// <summary>Patients on the ward.</summary>
    public int Patients { get; init; } = 500;

    /// <summary>Seed of every random draw.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Hours of observations before each patient's assessment time (the label's time).</summary>
    public double HistoryHours { get; init; } = 24;

    /// <summary>Assessment times are spread over this many hours before <see cref="End"/>, so a time split has both sides.</summary>
    public double AssessmentSpreadHours { get; init; } = 12;

    /// <summary>Latest time of the generated history (no observation is later, no lab becomes available later).</summary>
    public DateTimeOffset End { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Entity ids are <c>{prefix}{index:0000}</c>.</summary>
    public string EntityPrefix { get; init; } = "pt-";

    /// <summary>Name of the outcome label.</summary>
    public string LabelName { get; init; } = DefaultLabelName;

    /// <summary>Fraction of patients with a lab panel (lactate, WBC, creatinine), more often the sicker ones.</summary>
    public double LabFraction { get; init; } = 0.55;

    /// <summary>Source system written on every observation.</summary>
    public string SourceSystem { get; init; } = "mlops-demo-ward";
}
