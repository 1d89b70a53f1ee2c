using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Ingestion;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Ingestion.Tests.Api;

[Collection(IngestionCollection.Name)]
public sealed class KafkaIntakeTests(IngestionServiceFixture service)
{
    [Fact]
    public async Task RawTopic_ValidAndInvalidRecords_ValidAreStoredOnceInvalidGoToRejectedTopicWithReasons()
    {
        var producer = service.Services.GetRequiredService<IEventProducer>();
        var goodId = "kafka-" + Guid.NewGuid().ToString("N");
        var badId = "kafka-bad-" + Guid.NewGuid().ToString("N");
        var good = Raw(goodId, "respiratory_rate", 24, "/min");
        var bad = Raw(badId, "respiratory_rate", 400, "furlongs");

        await producer.ProduceAsync(service.RawTopic, "patient-k", good);
        await producer.ProduceAsync(service.RawTopic, "patient-k", bad);
        await producer.ProduceAsync(service.RawTopic, "patient-k", good); // redelivery-like repeat

        using var rejectedReader = new TopicReader(service.Services, service.RejectedTopic);
        ObservationRejected? rejected = null;
        await Eventually.WaitUntilAsync(() =>
        {
            rejected ??= rejectedReader.Poll<ObservationRejected>().Select(e => e.Data).FirstOrDefault(r => r.ObservationId == badId);
            return rejected is not null;
        }, "the invalid record reached the rejected topic");

        Assert.Equal("patient-k", rejected!.EntityId);
        Assert.Equal(["unit 'furlongs' is not accepted for respiratory_rate; accepted: /min, breaths/min"], rejected.Errors.Select(e => e.Message));
        Assert.Contains(badId, rejected.Original, StringComparison.Ordinal);

        await using var db = service.CreateDataSource();
        await Eventually.WaitUntilAsync(async () => await CountAsync(db, goodId) == 1, "the valid record was stored");
        Assert.Equal(0, await CountAsync(db, badId));
    }

    static RawObservation Raw(string id, string code, double value, string unit) => new()
    {
        ObservationId = id,
        EntityId = "patient-k",
        Code = code,
        Value = JsonSerializer.SerializeToElement(value),
        Unit = unit,
        EventTime = DateTimeOffset.UtcNow.AddMinutes(-2),
        SourceSystem = "monitor-bus",
    };

    static async Task<long> CountAsync(NpgsqlDataSource db, string id)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM observations WHERE observation_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
