using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mlops.Contracts.Kafka;

namespace Mlops.Kafka.Producing;

/// <summary>One librdkafka producer per process, shared by every caller (it is thread-safe and batches internally).</summary>
public sealed class KafkaEventProducer : IEventProducer, IDisposable
{
    readonly IProducer<string?, byte[]> _producer;
    readonly string _source;

    /// <summary>Creates the producer from the platform's Kafka settings.</summary>
    public KafkaEventProducer(KafkaClientConfigFactory configFactory, IHostEnvironment environment, ILogger<KafkaEventProducer> logger)
    {
        _source = configFactory.Options.Source ?? "/services/" + environment.ApplicationName;
        _producer = new ProducerBuilder<string?, byte[]>(configFactory.CreateProducerConfig(environment.ApplicationName + "-producer"))
            .SetErrorHandler((_, error) => logger.LogWarning("Kafka producer error {Code}: {Reason}", error.Code, error.Reason))
            .SetLogHandler((_, message) => logger.LogDebug("librdkafka {Facility}: {Message}", message.Facility, message.Message))
            .Build();
    }

    /// <inheritdoc />
    public Task<EventEnvelope<T>> ProduceAsync<T>(string topic, string subject, T data, CancellationToken cancellationToken = default) =>
        ProduceAsync(topic, subject, Guid.CreateVersion7().ToString(), data, cancellationToken);

    /// <inheritdoc />
    public async Task<EventEnvelope<T>> ProduceAsync<T>(string topic, string subject, string eventId, T data, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        ArgumentException.ThrowIfNullOrWhiteSpace(eventId);
        using var activity = StartPublishActivity(topic);
        var envelope = new EventEnvelope<T>
        {
            Id = eventId,
            Source = _source,
            Type = EnvelopeSerializer.EventTypeOf(typeof(T)),
            Time = DateTimeOffset.UtcNow,
            Subject = subject,
            DataSchema = EnvelopeSerializer.EventTypeOf(typeof(T)),
            TraceParent = TraceContext.TraceParentOf(Activity.Current),
            TraceState = Activity.Current?.TraceStateString,
            Data = data,
        };
        activity?.SetTag("messaging.message.id", envelope.Id);
        await SendAsync(topic, subject, EnvelopeSerializer.Serialize(envelope), activity, cancellationToken);
        return envelope;
    }

    /// <inheritdoc />
    public async Task ProduceEnvelopeAsync<T>(string topic, EventEnvelope<T> envelope, CancellationToken cancellationToken = default)
    {
        using var activity = StartPublishActivity(topic);
        activity?.SetTag("messaging.message.id", envelope.Id);
        await SendAsync(topic, envelope.Subject, EnvelopeSerializer.Serialize(envelope), activity, cancellationToken);
    }

    /// <inheritdoc />
    public async Task ProduceRawAsync(string topic, string? key, byte[] value, CancellationToken cancellationToken = default)
    {
        using var activity = StartPublishActivity(topic);
        await SendAsync(topic, key, value, activity, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<(int Partition, long Offset)> ProduceRawAtAsync(string topic, string? key, byte[] value, CancellationToken cancellationToken = default)
    {
        using var activity = StartPublishActivity(topic);
        var result = await SendAsync(topic, key, value, activity, cancellationToken);
        return (result.Partition.Value, result.Offset.Value);
    }

    /// <summary>Waits for every queued record to be delivered.</summary>
    public void Flush(TimeSpan timeout) => _producer.Flush(timeout);

    /// <inheritdoc />
    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }

    static Activity? StartPublishActivity(string topic)
    {
        var activity = KafkaTelemetry.Source.StartActivity(topic + " publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "kafka");
        activity?.SetTag("messaging.operation.type", "publish");
        activity?.SetTag("messaging.destination.name", topic);
        return activity;
    }

    async Task<DeliveryResult<string?, byte[]>> SendAsync(string topic, string? key, byte[] value, Activity? activity, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _producer.ProduceAsync(topic, new Message<string?, byte[]> { Key = key, Value = value }, cancellationToken);
            activity?.SetTag("messaging.destination.partition.id", result.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity?.SetTag("messaging.kafka.offset", result.Offset.Value);
            KafkaTelemetry.Produced.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", topic));
            return result;
        }
        catch (ProduceException<string?, byte[]> ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Error.Reason);
            KafkaTelemetry.ProduceFailed.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", topic));
            throw;
        }
    }
}
