namespace Mlops.Kafka.Tests;

/// <summary>Kafka tests share one broker; each test uses its own topics and groups.</summary>
[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<KafkaFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "kafka";
}
