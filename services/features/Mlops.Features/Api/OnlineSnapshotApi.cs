using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Npgsql;

namespace Mlops.Features.Api;

/// <summary>
/// <c>GET /api/features/online?after={entityId}&amp;limit={n}</c>: the online store (current feature set version) page by
/// page in entity-id order, so an inference pod starts with a warm cache. <c>next</c> is the cursor of the next page.
/// </summary>
public static class OnlineSnapshotApi
{
    const int MaxLimit = 1000;

    const string PageSql = """
        SELECT entity_id, feature_set_version, event_time, computed_at, feature_values::text, triggering_observation_id, known_at, observation_ids
        FROM online_vectors WHERE feature_set_version = $1 AND entity_id > $2
        ORDER BY entity_id LIMIT $3
        """;

    /// <summary>A page of online vectors.</summary>
    public sealed record OnlinePage(IReadOnlyList<StoredVector> Items, string? Next);

    public static IEndpointRouteBuilder MapOnlineSnapshotApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/features/online", GetPageAsync).WithTags("Features");
        return routes;
    }

    static async Task<Results<Ok<OnlinePage>, ValidationProblem>> GetPageAsync(
        string? after, int? limit, FeatureDatabase database, IOptions<FeatureDefinitions> definitions, CancellationToken cancellationToken)
    {
        var size = limit ?? 500;
        if (size is < 1 or > MaxLimit)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"limit must be between 1 and {MaxLimit}"] });
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(PageSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = definitions.Value.Version });
        command.Parameters.Add(new NpgsqlParameter { Value = after ?? "" });
        command.Parameters.Add(new NpgsqlParameter { Value = size });
        var items = new List<StoredVector>(size);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new StoredVector(
                    reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
                    JsonSerializer.Deserialize<Dictionary<string, double?>>(reader.GetString(4), FeatureStore.Json)!, reader.IsDBNull(5) ? null : reader.GetString(5))
                {
                    KnownAt = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                    ObservationIds = reader.IsDBNull(7) ? null : reader.GetFieldValue<string[]>(7),
                });
            }
        }

        return TypedResults.Ok(new OnlinePage(items, items.Count == size ? items[^1].EntityId : null));
    }
}
