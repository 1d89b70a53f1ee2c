using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Kafka;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Publishing;

/// <summary>
/// Publishes a registry event to Kafka as an envelope whose <c>id</c> is the event id and whose <c>subject</c> (the
/// record key) is the stream id, so a model's events stay in order on one partition and a re-publish carries the
/// same id for the consumers' inbox to drop. <c>time</c> is the append time, so a re-publish is identical.
/// Completes once the broker acknowledged.
/// </summary>
public sealed class KafkaEventPublisher(IEventProducer producer, RegistryKafkaOptions options, IOptions<KafkaOptions> kafka, IHostEnvironment environment)
{
    readonly string _source = kafka.Value.Source ?? "/services/" + environment.ApplicationName;

    /// <summary>Whether events of this stored type go to Kafka.</summary>
    public bool Publishes(RecordedEvent e) => options.TopicFor(e.EventType) is not null;

    public Task PublishAsync(RecordedEvent e, CancellationToken cancellationToken)
    {
        var envelope = new EventEnvelope<object>
        {
            Id = e.EventId.ToString(),
            Source = _source,
            Type = e.EventType,
            Time = e.RecordedAt,
            Subject = e.StreamId,
            DataSchema = e.EventType,
            TraceParent = TraceContext.TraceParentOf(Activity.Current),
            TraceState = Activity.Current?.TraceStateString,
            Data = e.Data,
        };
        return producer.ProduceEnvelopeAsync(options.TopicFor(e.EventType)!, envelope, cancellationToken);
    }
}
