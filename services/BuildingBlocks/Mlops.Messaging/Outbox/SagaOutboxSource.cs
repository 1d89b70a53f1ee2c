using Npgsql;

namespace Mlops.Messaging.Outbox;

/// <summary>A database whose <c>saga_outbox</c> the relay delivers from: one registration per saga with the outbox on.</summary>
/// <param name="Resolve">The saga repository's data source.</param>
public sealed record SagaOutboxSource(Func<IServiceProvider, NpgsqlDataSource> Resolve);
