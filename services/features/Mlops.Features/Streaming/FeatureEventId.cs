using System.Globalization;
using Mlops.Features.Storage;
using Mlops.Kafka.Producing;

namespace Mlops.Features.Streaming;

/// <summary>
/// The id of a <c>features.v1</c> event: one computation is one entity's vector of one feature-set version at one event
/// time, triggered by one observation. A batch that runs again (its inbox commit failed after the publication) computes
/// the same vectors from the same committed state, so they go out under the same ids and inference scores them once.
/// </summary>
public static class FeatureEventId
{
    public static string Of(StoredVector vector) => NameBasedEventId.Of(
        "features.v1",
        vector.EntityId,
        vector.FeatureSetVersion,
        vector.TriggeringObservationId ?? "",
        vector.EventTime.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
}
