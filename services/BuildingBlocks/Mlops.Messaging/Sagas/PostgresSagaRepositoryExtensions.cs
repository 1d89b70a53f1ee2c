using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Mlops.Messaging.Sagas;

/// <summary>Registration of the PostgreSQL saga repository.</summary>
public static class PostgresSagaRepositoryExtensions
{
    /// <summary>
    /// Persists this saga's instances in PostgreSQL (table <c>saga_instances</c> of the service's database)
    /// with optimistic concurrency. The table is created on first use.
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
        });
        return configurator;
    }
}
