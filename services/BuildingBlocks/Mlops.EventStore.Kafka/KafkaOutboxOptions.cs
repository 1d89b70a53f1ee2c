namespace Mlops.EventStore.Kafka;

/// <summary>Which Kafka topic each published event type goes to.</summary>
public sealed class KafkaOutboxOptions
{
    /// <summary>Configuration section the options bind from.</summary>
    public const string SectionName = "EventStore:Kafka";

    /// <summary>Topic for event types not listed in <see cref="Topics"/>; null means every type must be listed.</summary>
    public string? Topic { get; set; }

    /// <summary>Topic per stored event type name (e.g. <c>mlops.registry.model-version-registered.v1</c>).</summary>
    public IDictionary<string, string> Topics { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The topic of <paramref name="eventType"/>; throws when none is configured, so the row stays pending.</summary>
    public string TopicFor(string eventType) =>
        Topics.TryGetValue(eventType, out var topic) ? topic
        : Topic ?? throw new InvalidOperationException($"No Kafka topic is configured for event type '{eventType}' ({SectionName}:Topic or :Topics).");
}
