namespace Mlops.Registry.Publishing;

/// <summary>
/// Which registry events also leave by Kafka, and to which topic (section <c>EventStore:Kafka</c>). With neither
/// <see cref="Topic"/> nor <see cref="Topics"/> set, events go to the bus only and no Kafka client is created.
/// </summary>
public sealed class RegistryKafkaOptions
{
    public const string SectionName = "EventStore:Kafka";

    /// <summary>Topic for every registry event type not listed in <see cref="Topics"/>.</summary>
    public string? Topic { get; set; }

    /// <summary>Topic per stored event type name (e.g. <c>mlops.registry.deployment-changed.v1</c>); other types use <see cref="Topic"/>.</summary>
    public Dictionary<string, string> Topics { get; set; } = new(StringComparer.Ordinal);

    public bool Enabled => !string.IsNullOrWhiteSpace(Topic) || Topics.Count > 0;

    /// <summary>The topic of <paramref name="eventType"/>, or null when that type is not sent to Kafka.</summary>
    public string? TopicFor(string eventType) => Topics.TryGetValue(eventType, out var topic) ? topic : Topic;
}
