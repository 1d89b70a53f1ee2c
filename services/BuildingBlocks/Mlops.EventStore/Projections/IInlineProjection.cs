using Npgsql;

namespace Mlops.EventStore.Projections;

/// <summary>
/// A read model updated inside the append's own transaction: it is never behind the events, and a failing
/// projection fails the append.
/// </summary>
public interface IInlineProjection
{
    /// <summary>Creates the projection's tables if needed (called once at start-up).</summary>
    Task EnsureSchemaAsync(NpgsqlConnection connection, CancellationToken cancellationToken);

    /// <summary>Applies one append's events to the read model, on the append's connection and transaction.</summary>
    Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken);
}
