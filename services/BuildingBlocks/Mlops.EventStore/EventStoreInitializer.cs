using Microsoft.Extensions.Hosting;
using Mlops.EventStore.Projections;
using Npgsql;

namespace Mlops.EventStore;

/// <summary>Creates the store's tables and the inline projections' tables before anything appends or reads.</summary>
public sealed class EventStoreInitializer(NpgsqlDataSource dataSource, EventStoreSchema schema, IEnumerable<IInlineProjection> projections) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await schema.EnsureAsync(dataSource, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        foreach (var projection in projections)
        {
            await projection.EnsureSchemaAsync(connection, cancellationToken);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
