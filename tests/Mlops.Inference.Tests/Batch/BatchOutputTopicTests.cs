using System.Globalization;
using Confluent.Kafka;
using Mlops.Contracts.Inference;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.Inference.Tests.Batch;

/// <summary>
/// A job naming an output topic (under <c>batch-predictions.</c>) sends every result row there: read back from Kafka,
/// each row arrives exactly once, under the event id derived from its job, entity and time, equal to the stored row.
/// </summary>
[Collection(BatchDatasetCollection.Name)]
public sealed class BatchOutputTopicTests(BatchDatasetFixture fixture)
{
    [Fact]
    public async Task BatchJob_WithAnOutputTopic_SendsEveryRowExactlyOnceEqualToTheStoredRow()
    {
        var topic = PlatformInfrastructure.UniqueName("batch-predictions.test");
        var times = new[] { fixture.Start.AddMinutes(30), fixture.Start.AddMinutes(210) };
        var started = await fixture.Client.StartAsync(new
        {
            model = "deterioration", version = "1", datasetVersion = fixture.DatasetVersion, outputTopic = topic,
            times = times.Select(t => t.ToString("O", CultureInfo.InvariantCulture)).ToArray(),
        });
        Assert.Equal(topic, started.OutputTopic);
        var job = await fixture.Client.FinishedAsync(started.Id);
        var stored = (await fixture.Client.NdjsonAsync(job.Id)).ToDictionary(r => (r.EntityId, r.Time));
        var expected = BatchDatasetFixture.Patients * times.Length;
        Assert.Equal(expected, stored.Count);

        var records = Read(topic, expected);
        Assert.Equal(expected, records.Count);
        Assert.Equal(expected, records.Select(r => r.Id).Distinct().Count());
        foreach (var (key, envelope) in records.Select(r => (r.Key, r.Envelope)))
        {
            var row = envelope.Data;
            Assert.Equal(row.EntityId, key); // keyed by entity: one entity's rows stay in order on one partition
            Assert.Equal(Mlops.Inference.Batch.BatchChunkHandler.RowEventId(job.Id, row.EntityId, row.Time), envelope.Id);
            Assert.Equal((job.Id, "deterioration", "1", fixture.DatasetVersion), (row.JobId, row.ModelName, row.ModelVersion, row.DatasetVersion));
            Assert.True(stored.TryGetValue((row.EntityId, row.Time), out var match), $"{row.EntityId} at {row.Time:O} is not a stored row");
            Assert.Equal((match.Probability, match.Uncertainty, match.Error, match.LabelId), (row.Probability, row.Uncertainty, row.Error, row.LabelId));
        }

        Assert.Equal(stored.Keys.Order(), records.Select(r => (r.Envelope.Data.EntityId, r.Envelope.Data.Time)).Order());
    }

    /// <summary>The topic from its start until <paramref name="expected"/> records are in, then a few seconds more: a second copy would arrive right behind.</summary>
    static List<(string? Key, string Id, Mlops.Contracts.Kafka.EventEnvelope<BatchPredictionMade> Envelope)> Read(string topic, int expected)
    {
        var config = BatchDatasetFixture.KafkaClients().CreateConsumerConfig(PlatformInfrastructure.UniqueName("reader"), "test-reader");
        using var consumer = new ConsumerBuilder<string?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(topic);
        var read = new List<(string?, string, Mlops.Contracts.Kafka.EventEnvelope<BatchPredictionMade>)>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        var settle = DateTime.MaxValue;
        while (DateTime.UtcNow < deadline && DateTime.UtcNow < settle)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: { } message })
            {
                var envelope = EnvelopeSerializer.Deserialize<BatchPredictionMade>(message.Value);
                read.Add((message.Key, envelope.Id, envelope));
            }

            if (read.Count >= expected && settle == DateTime.MaxValue)
            {
                settle = DateTime.UtcNow.AddSeconds(3);
            }
        }

        consumer.Close();
        return read;
    }
}
