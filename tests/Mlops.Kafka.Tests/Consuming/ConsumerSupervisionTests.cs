using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;

namespace Mlops.Kafka.Tests.Consuming;

/// <summary>
/// A consumer whose own machinery fails (not its handler: librdkafka refusing a seek after a broker restart, here a
/// dead-letter write that throws something no retry loop expects) is recreated from the committed offsets instead of
/// ending the service's consumption for good.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class ConsumerSupervisionTests(KafkaFixture kafka)
{
    [Fact]
    public async Task ConsumerFailure_OutsideTheHandler_ConsumerIsRecreatedAndNothingIsSkipped()
    {
        var topic = PlatformInfrastructure.UniqueName("supervised");
        var deadLetters = PlatformInfrastructure.UniqueName("dlq");
        await kafka.EnsureTopicsAsync(topic, deadLetters);
        var rejected = await kafka.Producer.ProduceAsync(topic, "patient-1", new Reading { Patient = "patient-1", Sequence = 1, Value = 0 });
        for (var i = 2; i <= 6; i++)
        {
            await kafka.Producer.ProduceAsync(topic, "patient-1", new Reading { Patient = "patient-1", Sequence = i, Value = 60 + i });
        }

        var sink = new EventSink<Reading>();
        FailingOnceProducer? producer = null;
        using (var host = await ConsumerHosts.StartAsync<PickyReadingHandler>(topic, PlatformInfrastructure.UniqueName("group"), sink, deadLetters, services =>
                   services.AddSingleton<IEventProducer>(sp => producer = new FailingOnceProducer(
                       new KafkaEventProducer(sp.GetRequiredService<KafkaClientConfigFactory>(), sp.GetRequiredService<IHostEnvironment>(), NullLogger<KafkaEventProducer>.Instance),
                       deadLetters))))
        {
            await Eventually.WaitUntilAsync(() => sink.Items.Count >= 5, "the readings behind the record whose dead letter failed were handled");
            await host.StopAsync();
        }

        Assert.Equal(2, producer!.DeadLetterAttempts);
        Assert.Equal(Enumerable.Range(2, 5), sink.Items.Select(r => r.Envelope.Data.Sequence).Distinct());
        var deadLetter = Assert.Single(await kafka.ReadAsync(deadLetters, 1));
        Assert.Equal(rejected.Id, KafkaFixture.ParseDeadLetter(deadLetter.Message.Value).Data.OriginalEventId);
    }

    /// <summary>Throws, once, an exception the consumer host has no retry for, when a dead letter is written.</summary>
    sealed class FailingOnceProducer(KafkaEventProducer inner, string deadLetterTopic) : IEventProducer, IDisposable
    {
        int _deadLetterAttempts;

        public int DeadLetterAttempts => Volatile.Read(ref _deadLetterAttempts);

        public Task<EventEnvelope<T>> ProduceAsync<T>(string topic, string subject, T data, CancellationToken cancellationToken = default) =>
            topic == deadLetterTopic && Interlocked.Increment(ref _deadLetterAttempts) == 1
                ? throw new InvalidOperationException("simulated failure of the consumer's own machinery")
                : inner.ProduceAsync(topic, subject, data, cancellationToken);

        public Task<EventEnvelope<T>> ProduceAsync<T>(string topic, string subject, string eventId, T data, CancellationToken cancellationToken = default) =>
            inner.ProduceAsync(topic, subject, eventId, data, cancellationToken);

        public Task ProduceEnvelopeAsync<T>(string topic, EventEnvelope<T> envelope, CancellationToken cancellationToken = default) =>
            inner.ProduceEnvelopeAsync(topic, envelope, cancellationToken);

        public Task ProduceRawAsync(string topic, string? key, byte[] value, CancellationToken cancellationToken = default) =>
            inner.ProduceRawAsync(topic, key, value, cancellationToken);

        public Task<(int Partition, long Offset)> ProduceRawAtAsync(string topic, string? key, byte[] value, CancellationToken cancellationToken = default) =>
            inner.ProduceRawAtAsync(topic, key, value, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
