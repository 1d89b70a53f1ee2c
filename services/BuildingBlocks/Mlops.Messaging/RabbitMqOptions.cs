namespace Mlops.Messaging;

/// <summary>Broker connection, bound from the <c>RabbitMq</c> configuration section. Credentials come only from configuration.</summary>
public sealed class RabbitMqOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "RabbitMq";

    /// <summary>Broker host name.</summary>
    public string Host { get; set; } = "";

    /// <summary>AMQP port.</summary>
    public int Port { get; set; } = 5672;

    /// <summary>Virtual host.</summary>
    public string VirtualHost { get; set; } = "/";

    /// <summary>User name.</summary>
    public string Username { get; set; } = "";

    /// <summary>Password.</summary>
    public string Password { get; set; } = "";

    /// <summary>Retries of a failed consumer before the message is moved to the endpoint's <c>_error</c> queue.</summary>
    public int RetryLimit { get; set; } = 5;

    /// <summary>First retry delay; grows exponentially.</summary>
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Largest retry delay.</summary>
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(5);
}
