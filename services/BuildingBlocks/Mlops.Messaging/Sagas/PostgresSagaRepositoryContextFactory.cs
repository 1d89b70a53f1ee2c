using MassTransit;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Mlops.Messaging.Sagas;

/// <summary>Opens a connection and transaction per message, runs the saga pipe in it, and commits when the pipe succeeded.</summary>
public sealed class PostgresSagaRepositoryContextFactory<TSaga> :
    ISagaRepositoryContextFactory<TSaga>,
    IQuerySagaRepositoryContextFactory<TSaga>,
    ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
{
    readonly PostgresSagaRepositoryOptions<TSaga> _options;
    readonly ISagaConsumeContextFactory<PostgresSagaDatabaseContext<TSaga>, TSaga> _factory;
    readonly NpgsqlDataSource _dataSource;

    /// <summary>Creates the factory.</summary>
    public PostgresSagaRepositoryContextFactory(
        PostgresSagaRepositoryOptions<TSaga> options,
        ISagaConsumeContextFactory<PostgresSagaDatabaseContext<TSaga>, TSaga> factory,
        IServiceProvider services)
    {
        _options = options;
        _factory = factory;
        _dataSource = options.DataSource?.Invoke(services) ?? services.GetRequiredService<NpgsqlDataSource>();
    }

    /// <inheritdoc />
    public void Probe(ProbeContext context)
    {
        context.Add("persistence", "postgresql");
        context.Add("sagaType", _options.SagaTypeName);
    }

    /// <inheritdoc />
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        await using var database = await OpenAsync(context.CancellationToken);
        var repositoryContext = new PostgresSagaRepositoryContext<TSaga, T>(database, context, _factory);
        await next.Send(repositoryContext);
        await database.CommitAsync(context.CancellationToken);
    }

    /// <inheritdoc />
    public async Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class
    {
        await using var database = await OpenAsync(context.CancellationToken);
        var instances = await database.QueryAsync(query.FilterExpression, context.CancellationToken);
        var repositoryContext = new PostgresSagaRepositoryContext<TSaga, T>(database, context, _factory);
        await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(repositoryContext, instances));
        await database.CommitAsync(context.CancellationToken);
    }

    /// <inheritdoc />
    public Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class => ExecuteAsync(asyncMethod, cancellationToken);

    /// <inheritdoc />
    public Task<T> Execute<T>(Func<QuerySagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class => ExecuteAsync(asyncMethod, cancellationToken);

    /// <summary>Opens a database context directly, for code that reads or writes instances outside message handling.</summary>
    public async Task<PostgresSagaDatabaseContext<TSaga>> OpenAsync(CancellationToken cancellationToken)
    {
        await PostgresSagaSchema.EnsureAsync(_dataSource, cancellationToken);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(_options.IsolationLevel, cancellationToken);
            return new PostgresSagaDatabaseContext<TSaga>(connection, transaction, _options.SagaTypeName);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    async Task<T> ExecuteAsync<T>(Func<PostgresSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken)
        where T : class
    {
        await using var database = await OpenAsync(cancellationToken);
        var result = await asyncMethod(new PostgresSagaRepositoryContext<TSaga>(database, cancellationToken));
        await database.CommitAsync(cancellationToken);
        return result;
    }
}
