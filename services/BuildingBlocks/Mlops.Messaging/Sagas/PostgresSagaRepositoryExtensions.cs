using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mlops.Messaging.Outbox;
using Npgsql;

namespace Mlops.Messaging.Sagas;

/// <summary>Registration of the PostgreSQL saga repository.</summary>
public static class PostgresSagaRepositoryExtensions
{
    /// <summary>
    /// Persists this saga's instances in PostgreSQL (table <c>saga_instances</c> of the service's database)
    /// with optimistic concurrency. The tables are created on first use. With <see cref="PostgresSagaRepositoryOptions{TSaga}.Outbox"/>
    /// (the default) the saga's outgoing messages and its inbox are kept in the same transaction as its state, and one
    /// relay per process (<see cref="SagaOutboxRelay"/>) delivers them.
    /// </summary>
    public static ISagaRegistrationConfigurator<TSaga> PostgresRepository<TSaga>(
        this ISagaRegistrationConfigurator<TSaga> configurator, Action<PostgresSagaRepositoryOptions<TSaga>>? configure = null)
        where TSaga : class, ISaga
    {
        var options = new PostgresSagaRepositoryOptions<TSaga>();
        configure?.Invoke(options);

        configurator.Repository(repository =>
        {
            repository.TryAddSingleton(options);
            repository.RegisterSagaRepository<TSaga, PostgresSagaDatabaseContext<TSaga>,
                SagaConsumeContextFactory<PostgresSagaDatabaseContext<TSaga>, TSaga>, PostgresSagaRepositoryContextFactory<TSaga>>();
            repository.RegisterLoadSagaRepository<TSaga, PostgresSagaRepositoryContextFactory<TSaga>>();
            repository.RegisterQuerySagaRepository<TSaga, PostgresSagaRepositoryContextFactory<TSaga>>();
            if (options.Outbox)
            {
                repository.AddSagaOutboxRelay(options.DataSource ?? (sp => sp.GetRequiredService<NpgsqlDataSource>()));
            }
        });
        return configurator;
    }

    static void AddSagaOutboxRelay(this IServiceCollection services, Func<IServiceProvider, NpgsqlDataSource> dataSource)
    {
        services.AddSingleton(new SagaOutboxSource(dataSource));
        services.TryAddSingleton<SagaOutboxSignal>();
        if (services.Any(d => d.ServiceType == typeof(SagaOutboxRelay)))
        {
            return;
        }

        services.AddOptions<SagaOutboxOptions>().BindConfiguration(SagaOutboxOptions.Section)
            .ValidateDataAnnotations()
            .Validate(SagaOutboxOptions.IsValid, "Messaging:SagaOutbox:RetryMinInterval must not exceed RetryMaxInterval")
            .ValidateOnStart();
        services.AddSingleton<SagaOutboxRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<SagaOutboxRelay>());
    }
}
