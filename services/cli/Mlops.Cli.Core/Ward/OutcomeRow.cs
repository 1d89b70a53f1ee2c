namespace Mlops.Cli.Core.Ward;

/// <summary>
/// One outcome (label): <see cref="Value"/> is 1 when the patient deteriorated within the horizon after
/// <see cref="EventTime"/> (the time the prediction refers to), else 0.
/// </summary>
public sealed record OutcomeRow(string LabelId, string EntityId, string Name, double Value, DateTimeOffset EventTime);
