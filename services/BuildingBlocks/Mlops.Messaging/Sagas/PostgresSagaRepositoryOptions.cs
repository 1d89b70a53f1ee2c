using System.Data;
using Npgsql;

namespace Mlops.Messaging.Sagas;

/// <summary>Settings of the PostgreSQL saga repository for one saga type.</summary>
public sealed class PostgresSagaRepositoryOptions<TSaga>
{
    /// <summary>Where the saga table lives; the service's registered <see cref="NpgsqlDataSource"/> when null.</summary>
    public Func<IServiceProvider, NpgsqlDataSource>? DataSource { get; set; }

    /// <summary>
    /// Stored saga type name. Defaults to the CLR full name; set it explicitly to keep stored instances
    /// readable after the class is renamed.
    /// </summary>
    public string SagaTypeName { get; set; } = typeof(TSaga).FullName ?? typeof(TSaga).Name;

    /// <summary>
    /// Transaction isolation. Read committed suffices: lost updates are prevented by the version check,
    /// not by locks, and the retry policy re-runs the message against the winner's state.
    /// </summary>
    public IsolationLevel IsolationLevel { get; set; } = IsolationLevel.ReadCommitted;

    /// <summary>
    /// The durable outbox and inbox (on by default): messages the saga publishes or sends while handling a message are
    /// written to <c>saga_outbox</c> in the transaction that saves its state and delivered by the relay after the commit,
    /// and a message already applied (same MessageId) is acknowledged without being applied again. Off, the saga's messages
    /// leave through the endpoint's in-memory outbox after the commit and are lost if the process dies in between.
    /// </summary>
    public bool Outbox { get; set; } = true;
}
