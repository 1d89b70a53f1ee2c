using MassTransit;
using MassTransit.Middleware;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Messaging.Outbox;
using Npgsql;

namespace Mlops.Messaging.Sagas;

/// <summary>
/// Opens a connection and transaction per message, runs the saga pipe in it, and commits when the pipe succeeded. With the
/// outbox on, the same transaction records the message in the inbox and the messages the saga produced in the outbox.
/// </summary>
public sealed class PostgresSagaRepositoryContextFactory<TSaga> :
    ISagaRepositoryContextFactory<TSaga>,
    IQuerySagaRepositoryContextFactory<TSaga>,
    ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
{
    readonly PostgresSagaRepositoryOptions<TSaga> _options;
    readonly ISagaConsumeContextFactory<PostgresSagaDatabaseContext<TSaga>, TSaga> _factory;
    readonly NpgsqlDataSource _dataSource;
    readonly IServiceProvider _services;
    readonly SagaOutboxSignal? _outboxSignal;
    readonly OutboxConsumeOptions _outboxOptions;

    /// <summary>Creates the factory.</summary>
    public PostgresSagaRepositoryContextFactory(
        PostgresSagaRepositoryOptions<TSaga> options,
        ISagaConsumeContextFactory<PostgresSagaDatabaseContext<TSaga>, TSaga> factory,
        IServiceProvider services)
    {
        _options = options;
        _factory = factory;
        _dataSource = options.DataSource?.Invoke(services) ?? services.GetRequiredService<NpgsqlDataSource>();
        _services = services;
        // Absent only when the factory is built by hand (tools, tests): the relay then finds the messages on its next poll.
        _outboxSignal = services.GetService<SagaOutboxSignal>();
        _outboxOptions = new OutboxConsumeOptions { ConsumerType = options.SagaTypeName, MessageDeliveryLimit = 1, MessageDeliveryTimeout = TimeSpan.FromSeconds(30) };
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
        if (!_options.Outbox)
        {
            await next.Send(new PostgresSagaRepositoryContext<TSaga, T>(database, context, _factory));
            await database.CommitAsync(context.CancellationToken);
            return;
        }

        if (!await IsFirstDeliveryAsync(database, context))
        {
            return;
        }

        var outbox = new SagaOutboxConsumeContext<T>(context, _outboxOptions, _services);
        await next.Send(new PostgresSagaRepositoryContext<TSaga, T>(database, outbox, _factory));
        await CommitWithOutboxAsync(database, outbox, context);
    }

    /// <inheritdoc />
    public async Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class
    {
        await using var database = await OpenAsync(context.CancellationToken);
        if (_options.Outbox && !await IsFirstDeliveryAsync(database, context))
        {
            return;
        }

        var instances = await database.QueryAsync(query.FilterExpression, context.CancellationToken);
        if (!_options.Outbox)
        {
            var plain = new PostgresSagaRepositoryContext<TSaga, T>(database, context, _factory);
            await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(plain, instances));
            await database.CommitAsync(context.CancellationToken);
            return;
        }

        var outbox = new SagaOutboxConsumeContext<T>(context, _outboxOptions, _services);
        var repositoryContext = new PostgresSagaRepositoryContext<TSaga, T>(database, outbox, _factory);
        await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(repositoryContext, instances));
        await CommitWithOutboxAsync(database, outbox, context);
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

    /// <summary>
    /// Records the inbound message in the inbox. A redelivery of an applied message is not applied again: nothing is written,
    /// the transaction rolls back on dispose, and the saga filter acknowledges the message as consumed.
    /// </summary>
    async Task<bool> IsFirstDeliveryAsync<T>(PostgresSagaDatabaseContext<TSaga> database, ConsumeContext<T> context)
        where T : class
    {
        if (context.MessageId is not { } messageId || await database.TryRecordInboundAsync(messageId, context.CancellationToken))
        {
            return true;
        }

        SagaOutboxTelemetry.Duplicates.Add(1, new KeyValuePair<string, object?>("mlops.saga.type", _options.SagaTypeName));
        return false;
    }

    async Task CommitWithOutboxAsync<T>(PostgresSagaDatabaseContext<TSaga> database, SagaOutboxConsumeContext<T> outbox, ConsumeContext<T> context)
        where T : class
    {
        var messages = outbox.Messages;
        await database.AppendOutboxAsync(messages, context.MessageId ?? NewId.NextGuid(), context.CancellationToken);
        await database.CommitAsync(context.CancellationToken);
        if (messages.Count > 0)
        {
            SagaOutboxTelemetry.Written.Add(messages.Count, new KeyValuePair<string, object?>("mlops.saga.type", _options.SagaTypeName));
            _outboxSignal?.Notify();
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
