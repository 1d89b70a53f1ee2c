using MassTransit;
using Mlops.Messaging.Sagas;

namespace Mlops.Messaging.CrashingSaga;

/// <summary>The saga registration every outbox test host uses, in and out of process: the shipped repository registration.</summary>
public static class OutboxRunHost
{
    /// <summary>Stored saga type name.</summary>
    public const string SagaType = "tests.outbox-run";

    /// <summary>The saga's queue.</summary>
    public const string SagaQueue = "outbox-run";

    /// <summary>Registers the saga with the PostgreSQL repository and its durable outbox (on by default).</summary>
    public static void AddOutboxRunSaga(this IBusRegistrationConfigurator bus) =>
        bus.AddSagaStateMachine<OutboxRunStateMachine, OutboxRunState>()
            .Endpoint(e =>
            {
                e.Name = SagaQueue;
                e.ConcurrentMessageLimit = 8;
            })
            .PostgresRepository(o => o.SagaTypeName = SagaType);
}
