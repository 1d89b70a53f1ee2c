namespace Mlops.Testing.Infrastructure;

/// <summary>Where the tests' PostgreSQL, RabbitMQ and Kafka come from.</summary>
public enum InfrastructureMode
{
    /// <summary>The processes <c>infra/local/infra.sh</c> runs on this machine (no Docker engine needed).</summary>
    Local,

    /// <summary>Throwaway containers started through Testcontainers (needs a Docker engine).</summary>
    Containers,
}
