using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Mlops.Features.Computation;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Npgsql;

namespace Mlops.Features.TrainingSets;

/// <summary>
/// Recomputes every entity's latest vector from the stored observations, for the active definition set or a new one.
/// Uses the same calculator on the same observation set as streaming, so the result equals what streaming produced.
/// </summary>
public sealed class Backfill(
    FeatureDatabase database, IOptions<FeatureDefinitions> definitions, IngestionDatasetClient datasets, TimeProvider clock)
{
    /// <summary>
    /// Computes every entity's latest vector from ingestion's raw store, as captured by a dataset version — the
    /// source for a new definition version's history — without storing them.
    /// </summary>
    public async IAsyncEnumerable<StoredVector> ComputeFromDatasetAsync(string datasetVersion, FeatureDefinitions? set, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        set ??= definitions.Value;
        await foreach (var (entityId, points) in datasets.ReadEntitiesAsync(datasetVersion, cancellationToken))
        {
            var asOf = points.Max(p => p.EventTime);
            yield return new StoredVector(entityId, set.Version, asOf, clock.GetUtcNow(), FeatureCalculator.Compute(set, points, asOf), null);
        }
    }

    /// <summary>Computes the vectors without storing them.</summary>
    public async IAsyncEnumerable<StoredVector> ComputeAsync(FeatureDefinitions? set, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        set ??= definitions.Value;
        await using var entityConnection = await database.OpenConnectionAsync(cancellationToken);
        await using var windowConnection = await database.OpenConnectionAsync(cancellationToken);
        await using var entities = new NpgsqlCommand("SELECT DISTINCT entity_id FROM feature_observations ORDER BY entity_id", entityConnection);
        await using var reader = await entities.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var entityId = reader.GetString(0);
            var points = (await FeatureStore.LoadEntityWindowsAsync(windowConnection, null, [entityId], set.Horizon, cancellationToken))[entityId];
            var asOf = points.Max(p => p.EventTime);
            yield return new StoredVector(entityId, set.Version, asOf, clock.GetUtcNow(), FeatureCalculator.Compute(set, points, asOf), null);
        }
    }

    /// <summary>
    /// Computes and stores the vectors (online store and history, source <c>backfill</c>) from a dataset version of
    /// the raw store, or from the feature service's own observation store when none is given; returns how many.
    /// </summary>
    public async Task<int> RunAsync(FeatureDefinitions? set, string? datasetVersion, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var count = 0;
        var vectors = datasetVersion is null ? ComputeAsync(set, cancellationToken) : ComputeFromDatasetAsync(datasetVersion, set, cancellationToken);
        await foreach (var vector in vectors)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await FeatureStore.SaveVectorAsync(connection, transaction, vector, "backfill", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            count++;
        }

        return count;
    }
}
