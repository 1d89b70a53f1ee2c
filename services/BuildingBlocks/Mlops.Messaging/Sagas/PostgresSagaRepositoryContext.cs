using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Saga;

namespace Mlops.Messaging.Sagas;

/// <summary>The repository as a consumed message sees it: loads, inserts and saves go through one database context.</summary>
public sealed class PostgresSagaRepositoryContext<TSaga, TMessage> :
    ConsumeContextScope<TMessage>,
    SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
{
    readonly PostgresSagaDatabaseContext<TSaga> _database;
    readonly ConsumeContext<TMessage> _consumeContext;
    readonly ISagaConsumeContextFactory<PostgresSagaDatabaseContext<TSaga>, TSaga> _factory;

    /// <summary>Creates the context.</summary>
    public PostgresSagaRepositoryContext(
        PostgresSagaDatabaseContext<TSaga> database, ConsumeContext<TMessage> consumeContext, ISagaConsumeContextFactory<PostgresSagaDatabaseContext<TSaga>, TSaga> factory)
        : base(consumeContext, database)
    {
        _database = database;
        _consumeContext = consumeContext;
        _factory = factory;
    }

    /// <inheritdoc />
    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, TSaga instance, SagaConsumeContextMode mode)
        where T : class => _factory.CreateSagaConsumeContext(_database, consumeContext, instance, mode);

    /// <inheritdoc />
    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        _factory.CreateSagaConsumeContext(_database, _consumeContext, instance, SagaConsumeContextMode.Add);

    /// <inheritdoc />
    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        await _database.InsertAsync(instance, CancellationToken);
        return await _factory.CreateSagaConsumeContext(_database, _consumeContext, instance, SagaConsumeContextMode.Insert);
    }

    /// <inheritdoc />
    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = await _database.LoadAsync(correlationId, CancellationToken);
        return instance is null
            ? null!
            : await _factory.CreateSagaConsumeContext(_database, _consumeContext, instance, SagaConsumeContextMode.Load);
    }

    /// <inheritdoc />
    public Task Save(SagaConsumeContext<TSaga> context) => _database.InsertAsync(context.Saga, CancellationToken);

    /// <inheritdoc />
    public Task Update(SagaConsumeContext<TSaga> context) => _database.UpdateAsync(context.Saga, CancellationToken);

    /// <inheritdoc />
    public Task Delete(SagaConsumeContext<TSaga> context) => _database.DeleteAsync(context.Saga, CancellationToken);

    /// <inheritdoc />
    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    /// <inheritdoc />
    public Task Undo(SagaConsumeContext<TSaga> context) => Task.CompletedTask;
}

/// <summary>The repository outside message handling: load by id and query, for APIs and dashboards.</summary>
public sealed class PostgresSagaRepositoryContext<TSaga> :
    BasePipeContext,
    QuerySagaRepositoryContext<TSaga>,
    LoadSagaRepositoryContext<TSaga>
    where TSaga : class, ISaga
{
    readonly PostgresSagaDatabaseContext<TSaga> _database;

    /// <summary>Creates the context.</summary>
    public PostgresSagaRepositoryContext(PostgresSagaDatabaseContext<TSaga> database, CancellationToken cancellationToken)
        : base(cancellationToken)
    {
        _database = database;
    }

    /// <inheritdoc />
    public async Task<TSaga> Load(Guid correlationId) => (await _database.LoadAsync(correlationId, CancellationToken))!;

    /// <inheritdoc />
    public async Task<SagaRepositoryQueryContext<TSaga>> Query(ISagaQuery<TSaga> query, CancellationToken cancellationToken = default)
    {
        var instances = await _database.QueryAsync(query.FilterExpression, cancellationToken);
        return new LoadedSagaRepositoryQueryContext<TSaga>(this, instances);
    }
}
