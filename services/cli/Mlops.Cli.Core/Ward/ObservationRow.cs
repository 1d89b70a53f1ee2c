namespace Mlops.Cli.Core.Ward;

/// <summary>
/// One observation as the ingestion API takes it. <see cref="Value"/> is a number, or the category text for
/// categorical codes (consciousness). <see cref="AvailableTime"/> is when the source made the value available
/// (a lab result issued after the sample was drawn); null means "when it was recorded".
/// </summary>
public sealed record ObservationRow(
    string ObservationId,
    string EntityId,
    string Code,
    object Value,
    string? Unit,
    DateTimeOffset EventTime,
    DateTimeOffset? AvailableTime,
    string SourceSystem);
