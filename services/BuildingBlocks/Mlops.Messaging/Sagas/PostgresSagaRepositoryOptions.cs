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
}
