using System.Text;
using Mlops.Contracts.Kafka;
using Mlops.Testing;

namespace Mlops.Kafka.Tests.Consuming;

[Collection(KafkaCollection.Name)]
public sealed class KafkaConsumerHostTests(KafkaFixture kafka)
{
    [Fact]
    public async Task ProduceAndConsume_ThroughBuildingBlock_DeliversEveryEnvelopeInOrderPerEntity()
    {
        var topic = PlatformInfrastructure.UniqueName("roundtrip");
        await kafka.EnsureTopicsAsync(topic);
        var sent = new List<EventEnvelope<Reading>>();
        for (var i = 0; i < 60; i++)
        {
            var patient = $"patient-{i % 4}";
            sent.Add(await kafka.Producer.ProduceAsync(topic, patient, new Reading { Patient = patient, Sequence = i, Value = 60 + i }));
        }

        var sink = new EventSink<Reading>();
        using var host = await ConsumerHosts.StartAsync<RecordingReadingHandler>(topic, PlatformInfrastructure.UniqueName("group"), sink);
        await Eventually.WaitUntilAsync(() => sink.Items.Count >= sent.Count, $"{sent.Count} readings were consumed");
        await host.StopAsync();

        var received = sink.Items;
        Assert.Equal(sent.Select(e => e.Id).Order(), received.Select(r => r.Envelope.Id).Order());
        foreach (var item in received)
        {
            var original = sent.Single(e => e.Id == item.Envelope.Id);
            Assert.Equal(original.Data, item.Envelope.Data);
            Assert.Equal(original.Subject, item.Envelope.Subject);
            Assert.Equal(original.Subject, item.Context.Key);
            Assert.Equal("mlops.tests.reading.v1", item.Envelope.Type);
            Assert.Equal("1.0", item.Envelope.SpecVersion);
            Assert.Equal("/services/kafka-tests", item.Envelope.Source);
        }

        foreach (var perPatient in received.GroupBy(r => r.Envelope.Subject))
        {
            var sequences = perPatient.Select(r => r.Envelope.Data.Sequence).ToList();
            Assert.Equal(sequences.Order(), sequences);
        }
    }

    [Fact]
    public async Task PoisonRecords_InvalidOrFailingOrRejected_GoToDeadLetterTopicWithReasonAndLaterRecordsStillFlow()
    {
        var topic = PlatformInfrastructure.UniqueName("poison");
        var deadLetters = PlatformInfrastructure.UniqueName("dlq");
        await kafka.EnsureTopicsAsync(topic, deadLetters);

        const string garbage = "{\"id\": 42, this is not json";
        await kafka.Producer.ProduceRawAsync(topic, "patient-1", Encoding.UTF8.GetBytes(garbage));
        var failing = await kafka.Producer.ProduceAsync(topic, "patient-1", new Reading { Patient = "patient-1", Sequence = 1, Value = -5 });
        var rejected = await kafka.Producer.ProduceAsync(topic, "patient-1", new Reading { Patient = "patient-1", Sequence = 2, Value = 0 });
        var good = await kafka.Producer.ProduceAsync(topic, "patient-1", new Reading { Patient = "patient-1", Sequence = 3, Value = 72 });

        var sink = new EventSink<Reading>();
        var group = PlatformInfrastructure.UniqueName("group");
        using (var host = await ConsumerHosts.StartAsync<PickyReadingHandler>(topic, group, sink, deadLetters))
        {
            await Eventually.WaitUntilAsync(() => sink.Items.Count >= 1, "the good reading behind the poison ones was handled");
            await host.StopAsync();
        }

        Assert.Equal(good.Id, Assert.Single(sink.Items).Envelope.Id);

        var records = (await kafka.ReadAsync(deadLetters, 3)).Select(r => KafkaFixture.ParseDeadLetter(r.Message.Value).Data).ToList();

        var invalid = Assert.Single(records, r => r.FailureKind == "invalid-envelope");
        Assert.Equal(garbage, invalid.OriginalValue);
        Assert.Contains("not a valid Reading event envelope", invalid.Reason, StringComparison.Ordinal);
        Assert.Equal(topic, invalid.OriginalTopic);
        Assert.Equal(group, invalid.ConsumerGroup);
        Assert.Equal("patient-1", invalid.OriginalKey);

        var failed = Assert.Single(records, r => r.FailureKind == "handler-failed");
        Assert.Equal(failing.Id, failed.OriginalEventId);
        Assert.Equal(3, failed.Attempts);
        Assert.Contains("value -5 must not be negative", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(typeof(InvalidOperationException).FullName, failed.ExceptionType);
        Assert.Equal(failing.Id, EnvelopeSerializer.Deserialize<Reading>(Encoding.UTF8.GetBytes(failed.OriginalValue!)).Id);

        var refused = Assert.Single(records, r => r.FailureKind == "rejected");
        Assert.Equal(rejected.Id, refused.OriginalEventId);
        Assert.Equal(1, refused.Attempts);
        Assert.Equal("value 0 is not a plausible reading", refused.Reason);
    }

    [Fact]
    public async Task ConsumerRestart_AfterCleanStop_ResumesFromCommittedOffsetWithoutReprocessing()
    {
        var topic = PlatformInfrastructure.UniqueName("resume");
        await kafka.EnsureTopicsAsync(topic);
        var group = PlatformInfrastructure.UniqueName("group");
        for (var i = 0; i < 25; i++)
        {
            await kafka.Producer.ProduceAsync(topic, "patient-9", new Reading { Patient = "patient-9", Sequence = i, Value = 1 + i });
        }

        var first = new EventSink<Reading>();
        using (var host = await ConsumerHosts.StartAsync<RecordingReadingHandler>(topic, group, first))
        {
            await Eventually.WaitUntilAsync(() => first.Items.Count >= 25, "the first batch was consumed");
            await host.StopAsync();
        }

        for (var i = 25; i < 40; i++)
        {
            await kafka.Producer.ProduceAsync(topic, "patient-9", new Reading { Patient = "patient-9", Sequence = i, Value = 1 + i });
        }

        var second = new EventSink<Reading>();
        using (var host = await ConsumerHosts.StartAsync<RecordingReadingHandler>(topic, group, second))
        {
            await Eventually.WaitUntilAsync(() => second.Items.Count >= 15, "the second batch was consumed");
            await host.StopAsync();
        }

        Assert.Equal(Enumerable.Range(25, 15), second.Items.Select(r => r.Envelope.Data.Sequence));
    }
}
