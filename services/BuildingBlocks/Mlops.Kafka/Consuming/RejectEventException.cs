namespace Mlops.Kafka.Consuming;

/// <summary>
/// Thrown by a handler for an event that can never succeed (invalid content, unknown reference): the
/// record goes straight to the dead-letter topic with this message as the reason, without retries.
/// </summary>
public sealed class RejectEventException : Exception
{
    /// <summary>Creates the exception; the message should name what is wrong.</summary>
    public RejectEventException(string reason)
        : base(reason)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public RejectEventException(string reason, Exception innerException)
        : base(reason, innerException)
    {
    }
}
