namespace Mlops.Kafka.Consuming;

/// <summary>Where a record came from and how many times it has been tried.</summary>
public sealed record KafkaMessageContext
{
    /// <summary>Source topic.</summary>
    public required string Topic { get; init; }

    /// <summary>Source partition.</summary>
    public required int Partition { get; init; }

    /// <summary>Offset within the partition.</summary>
    public required long Offset { get; init; }

    /// <summary>Record key (the entity id).</summary>
    public string? Key { get; init; }

    /// <summary>Consumer group handling the record.</summary>
    public required string ConsumerGroup { get; init; }

    /// <summary>1 for the first attempt.</summary>
    public required int Attempt { get; init; }
}
