using System.Net;
using System.Net.Http.Json;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Features;
using Mlops.Contracts.Kafka;
using Mlops.Features.Labels;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Features.Tests.Labels;

/// <summary>
/// Labels taken over HTTP reach the labels topic (monitoring's delayed-label join reads only the topic) with the
/// prediction they answer, once; labels that came from the topic are not published back. Real PostgreSQL and Kafka.
/// </summary>
[Collection(FeaturesCollection.Name)]
public sealed class LabelPublisherTests(FeaturesServiceFixture service)
{
    readonly HttpClient _http = service.CreateClient();
    readonly string _entity = "lpub-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task PostedLabel_IsPublishedOnTheLabelsTopicWithItsPredictionIdOnce()
    {
        var predictionId = Guid.CreateVersion7().ToString();
        var label = new LabelRecorded
        {
            LabelId = _entity + "-1", EntityId = _entity, Name = "deterioration_24h", Value = 1,
            // Whole seconds: PostgreSQL keeps microseconds, .NET ticks are finer.
            EventTime = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds()), PredictionId = predictionId,
        };

        Assert.Equal(HttpStatusCode.Accepted, (await _http.PostAsJsonAsync("/api/features/labels", label)).StatusCode);
        await Eventually.WaitUntilAsync(async () => !await PendingAsync(label.LabelId), "the posted label is published", TimeSpan.FromSeconds(30));
        // A repeat is recognised (200) and not published again.
        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsJsonAsync("/api/features/labels", label)).StatusCode);
        Assert.False(await PendingAsync(label.LabelId));

        var published = Assert.Single(ReadTopic(), e => e.Data.LabelId == label.LabelId);
        Assert.Equal(LabelPublisher.EventIdOf(label.LabelId), published.Id);
        Assert.Equal(predictionId, published.Data.PredictionId);
        Assert.Equal((_entity, 1.0, label.EventTime), (published.Subject, published.Data.Value, published.Data.EventTime));
    }

    [Fact]
    public async Task LabelFromTheTopic_IsStoredButNotPublishedBack()
    {
        var label = new LabelRecorded
        {
            LabelId = _entity + "-2", EntityId = _entity, Name = "deterioration_24h", Value = 0, EventTime = DateTimeOffset.UtcNow.AddMinutes(-5),
        };

        await service.Services.GetRequiredService<IEventProducer>().ProduceAsync(service.LabelsTopic, _entity, label);
        await Eventually.WaitUntilAsync(async () => await PendingAsync(label.LabelId) is false && await StoredAsync(label.LabelId), "the label is stored", TimeSpan.FromSeconds(60));
        // Any round the publisher could run has nothing to take.
        Assert.Equal(0, await service.Services.GetRequiredService<LabelPublisher>().PublishPendingAsync(CancellationToken.None));

        Assert.Single(ReadTopic(), e => e.Data.LabelId == label.LabelId);
    }

    async Task<bool> PendingAsync(string labelId)
    {
        await using var db = service.CreateDataSource();
        await using var command = db.CreateCommand("SELECT coalesce(bool_or(publish_pending), false) FROM labels WHERE label_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = labelId });
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    async Task<bool> StoredAsync(string labelId)
    {
        await using var db = service.CreateDataSource();
        await using var command = db.CreateCommand("SELECT count(*) FROM labels WHERE label_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = labelId });
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }

    /// <summary>Every valid label event of the collection's labels topic up to its current end.</summary>
    List<EventEnvelope<LabelRecorded>> ReadTopic()
    {
        var factory = service.Services.GetRequiredService<KafkaClientConfigFactory>();
        using var admin = new AdminClientBuilder(factory.CreateAdminConfig("test-labels")).SetLogHandler((_, _) => { }).Build();
        var partitions = admin.GetMetadata(service.LabelsTopic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions
            .Select(p => new TopicPartition(service.LabelsTopic, p.PartitionId)).ToList();
        using var consumer = new ConsumerBuilder<string?, byte[]>(factory.CreateConsumerConfig(PlatformInfrastructure.UniqueName("reader"), "test-labels"))
            .SetLogHandler((_, _) => { }).Build();
        var ends = partitions.ToDictionary(p => p.Partition.Value, p => consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value);
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        var envelopes = new List<EventEnvelope<LabelRecorded>>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (ends.Any(e => e.Value > 0) && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is not { Message: not null } record)
            {
                continue;
            }

            try
            {
                envelopes.Add(EnvelopeSerializer.Deserialize<LabelRecorded>(record.Message.Value));
            }
            catch (InvalidEnvelopeException)
            {
                // The collection's bad-input corpus puts malformed labels on the same topic.
            }

            if (record.Offset.Value + 1 >= ends[record.Partition.Value])
            {
                ends[record.Partition.Value] = 0;
            }
        }

        Assert.True(ends.All(e => e.Value == 0), "the labels topic was not read to its end");
        return envelopes;
    }
}
