using Mlops.Features.Computation;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Npgsql;

namespace Mlops.Features.TrainingSets;

/// <summary>A raw observation of the bitemporal base, with every time it carries.</summary>
public sealed record PointInTimeObservation(
    string ObservationId, string Code, double Value, DateTimeOffset EventTime, DateTimeOffset RecordedAt, DateTimeOffset? AvailableTime, DateTimeOffset KnownAt);

/// <summary>An entity's vector at <see cref="AsOf"/> as known at <see cref="KnownAt"/>, with the observations it was computed from.</summary>
public sealed record PointInTimeResult(
    string EntityId, string FeatureSetVersion, DateTimeOffset AsOf, DateTimeOffset KnownAt,
    IReadOnlyList<PointInTimeObservation> Observations, IReadOnlyDictionary<string, double?> Values);

/// <summary>
/// "The vector of entity E at time t as known at time k": the training rows' computation (the same observation
/// query shape over <c>feature_observations</c> and the same <see cref="FeatureCalculator.Compute"/> with a known-at
/// cut) for one entity and one time, so a prediction can be replayed from the raw observations behind it. An
/// observation that became known after k (a late value, a lab result issued later) is not used, however long ago it
/// arrived.
/// </summary>
public sealed class PointInTimeVector(FeatureDatabase database)
{
    const string ObservationsSql = """
        SELECT observation_id, code, value, event_time, recorded_at, available_time, known_at FROM feature_observations
        WHERE entity_id = $1 AND event_time <= $2 AND event_time > $3 AND known_at <= $4
        ORDER BY event_time, observation_id COLLATE "C"
        """;

    public async Task<PointInTimeResult> ComputeAsync(FeatureDefinitions set, string entityId, DateTimeOffset asOf, DateTimeOffset knownAt, CancellationToken cancellationToken)
    {
        var rows = new List<PointInTimeObservation>();
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        await using (var command = new NpgsqlCommand(ObservationsSql, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = entityId });
            command.Parameters.Add(new NpgsqlParameter { Value = asOf });
            command.Parameters.Add(new NpgsqlParameter { Value = asOf - set.Horizon });
            command.Parameters.Add(new NpgsqlParameter { Value = knownAt });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new PointInTimeObservation(reader.GetString(0), reader.GetString(1), reader.GetDouble(2), reader.GetFieldValue<DateTimeOffset>(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6)));
            }
        }

        var points = rows.Select(r => new ObservationPoint(r.ObservationId, r.Code, r.Value, r.EventTime, r.KnownAt)).ToList();
        FeaturesTelemetry.PointInTimeVectors.Add(1);
        return new PointInTimeResult(entityId, set.Version, asOf, knownAt, rows, FeatureCalculator.Compute(set, points, asOf, knownAt));
    }
}
