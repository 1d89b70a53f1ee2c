using Mlops.Features.Computation;

namespace Mlops.Features.Storage;

/// <summary>A row of the bitemporal observation base, with both times it may be known from.</summary>
public sealed record StoredObservation(
    string ObservationId, string EntityId, string Code, double Value, DateTimeOffset EventTime, DateTimeOffset RecordedAt, DateTimeOffset? AvailableTime)
{
    /// <summary>As the calculator needs it: known from the source's available time when given, else when recorded.</summary>
    public ObservationPoint ToPoint() => new(ObservationId, Code, Value, EventTime, AvailableTime ?? RecordedAt);
}
