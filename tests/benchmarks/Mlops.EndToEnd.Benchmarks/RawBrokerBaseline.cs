using System.Buffers.Binary;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;

namespace Mlops.EndToEnd.Benchmarks;

/// <summary>
/// The floor under any pipeline on this broker: one envelope-sized record produced (the platform's producer and its
/// settings) and consumed (the platform's consumer settings) per item, at the same steady open-loop rate, each timed
/// from its due time to its arrival at the consumer. The pipeline crosses the broker three times, so its latency can
/// not go below about three of these.
/// </summary>
internal static class RawBrokerBaseline
{
    public static async Task<(Latencies Latency, double SentRate, int Received, int Sent)> RunAsync(
        IEventProducer producer, KafkaTopicAdmin admin, KafkaClientConfigFactory configs, double rate, int seconds, int entities)
    {
        var topic = PlatformInfrastructure.UniqueName("bench-e2e-raw");
        await admin.EnsureTopicsAsync([topic]);
        var count = (int)(rate * seconds);
        var due = new long[count];
        var sent = new long[count];
        using var watcher = new TopicWatcher(configs, topic, count, value => value.Length >= 8 ? (int)BinaryPrimitives.ReadInt64LittleEndian(value) : -1);
        await watcher.Assigned.WaitAsync(TimeSpan.FromMinutes(1));

        var produced = new Task[count];
        await Task.Factory.StartNew(() => OpenLoop.Run(0, count, rate, due, sent, i =>
        {
            // The size of an observation envelope on observations.v1 (≈ 450 bytes); the index rides in the first bytes.
            var value = new byte[450];
            BinaryPrimitives.WriteInt64LittleEndian(value, i);
            produced[i] = producer.ProduceRawAsync(topic, $"patient-{i % entities}", value);
        }), TaskCreationOptions.LongRunning);
        await Task.WhenAll(produced);
        await watcher.DrainAsync(count);

        var latencies = Enumerable.Range(0, count).Where(i => watcher.Arrived[i] != 0).Select(i => OpenLoop.Milliseconds(due[i], watcher.Arrived[i]));
        var sentRate = (count - 1) / OpenLoop.Milliseconds(sent[0], sent[^1]) * 1000;
        return (Latencies.Of(latencies), sentRate, watcher.Distinct, count);
    }
}
