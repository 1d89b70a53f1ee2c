namespace Mlops.Testing.Infrastructure;

/// <summary>Where the started containers answer on the host, and the credentials they were started with.</summary>
public sealed record ContainerEndpoints
{
    /// <summary>Host name of the Docker engine's published ports.</summary>
    public required string Host { get; init; }

    /// <summary>PostgreSQL's published port.</summary>
    public required int PostgresPort { get; init; }

    /// <summary>The PostgreSQL user (owner of every database, as <c>mlops</c> is locally).</summary>
    public required string PostgresUser { get; init; }

    /// <summary>The PostgreSQL password.</summary>
    public required string PostgresPassword { get; init; }

    /// <summary>RabbitMQ's published AMQP port.</summary>
    public required int RabbitPort { get; init; }

    /// <summary>RabbitMQ's published management port.</summary>
    public required int RabbitManagementPort { get; init; }

    /// <summary>The RabbitMQ user (administrator).</summary>
    public required string RabbitUser { get; init; }

    /// <summary>The RabbitMQ password.</summary>
    public required string RabbitPassword { get; init; }

    /// <summary>Kafka's bootstrap address as <c>host:port</c>.</summary>
    public required string KafkaBootstrap { get; init; }

    /// <summary>
    /// The gateway's bootstrap admin key (<c>MLOPS_API_KEY</c>), in the format infra/local/lib/common.sh writes:
    /// <c>mlk_&lt;12 hex&gt;_&lt;32 hex&gt;</c>, drawn fresh for these containers.
    /// </summary>
    public string ApiKey { get; init; } =
        $"mlk_{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}_{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))}";
}
