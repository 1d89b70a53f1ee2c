using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Ingestion;
using Mlops.Contracts.Kafka;
using Mlops.Features.Computation;
using Mlops.Features.Storage;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Features.Tests.Streaming;

/// <summary>The feature service as a real process, killed (SIGKILL) mid-stream and restarted.</summary>
[Collection(FeaturesCollection.Name)]
public sealed class FeatureProcessCrashTests(FeaturesServiceFixture fixture)
{
    const int Count = 3000;
    const int FirstPhase = 600;

    [Fact]
    public async Task FeatureProcess_KilledMidStreamAndRestarted_LosesNothingAndAppliesNothingTwice()
    {
        var connectionString = await PlatformInfrastructure.CreateDatabaseAsync("features_crash");
        var topic = PlatformInfrastructure.UniqueName("obs-crash");
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__features"] = connectionString,
            ["Features__Topics__Observations"] = topic,
            ["Features__Topics__Features"] = PlatformInfrastructure.UniqueName("features-crash"),
            ["Features__Topics__Labels"] = PlatformInfrastructure.UniqueName("labels-crash"),
            ["Features__Topics__ObservationGroup"] = PlatformInfrastructure.UniqueName("stream"),
            // Small transactions, so the kill lands between many of them.
            ["Features__Topics__StreamBatchSize"] = "20",
        };
        await fixture.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([topic, environment["Features__Topics__Features"]]);

        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-10).ToUnixTimeSeconds());
        var codes = new[] { "heart_rate", "spo2", "systolic_bp", "respiratory_rate" };
        var observations = Enumerable.Range(0, Count).Select(i => new ObservationAccepted
        {
            ObservationId = $"crash-{i}-{Guid.NewGuid():N}",
            EntityId = $"patient-{i % 12}",
            EntityType = "patient",
            Code = codes[i % codes.Length],
            Value = 60 + (i * 37 % 50),
            Unit = "x",
            EventTime = start.AddSeconds(i * 50),
            RecordedAt = start.AddSeconds(i * 50 + 5),
            SourceSystem = "crash-test",
            Sequence = i,
        }).ToList();
        var producer = fixture.Services.GetRequiredService<IEventProducer>();
        foreach (var observation in observations.Take(FirstPhase))
        {
            await producer.ProduceEnvelopeAsync(topic, FeaturesServiceFixture.Envelope(observation));
        }

        await using var db = NpgsqlDataSource.Create(connectionString);
        await using (var first = ServiceProcess.Start("services/features/Mlops.Features", environment))
        {
            await WaitOrExplainAsync(first, async () => await CountAsync(db, "SELECT count(*) FROM feature_observations") == FirstPhase, "the first phase was applied");
            await Task.WhenAll(observations.Skip(FirstPhase).Select(o => producer.ProduceEnvelopeAsync(topic, FeaturesServiceFixture.Envelope(o))));
            await WaitOrExplainAsync(first, async () => await CountAsync(db, "SELECT count(*) FROM feature_observations") > FirstPhase, "the second phase started");
            first.Kill();
        }

        await using (var second = ServiceProcess.Start("services/features/Mlops.Features", environment))
        {
            await WaitOrExplainAsync(second, async () => await CountAsync(db, "SELECT count(*) FROM feature_observations") == Count, "the restarted process applied the rest");
        }

        // Every event id applied exactly once (inbox), and the counts the vectors report add up to what was sent.
        Assert.Equal(Count, await CountAsync(db, "SELECT count(*) FROM kafka_inbox"));
        Assert.Equal(Count, await CountAsync(db, "SELECT count(DISTINCT event_id) FROM kafka_inbox"));

        var definitions = Definitions.Shipped();
        await using var vectors = db.CreateCommand("SELECT entity_id, feature_values::text FROM online_vectors");
        await using var reader = await vectors.ExecuteReaderAsync();
        var checkedEntities = 0;
        while (await reader.ReadAsync())
        {
            var entity = reader.GetString(0);
            var points = observations.Where(o => o.EntityId == entity).Select(o => new ObservationPoint(o.ObservationId, o.Code, o.Value, o.EventTime, o.RecordedAt)).ToList();
            var expected = FeatureCalculator.Compute(definitions, points, points.Max(p => p.EventTime));
            var actual = JsonSerializer.Deserialize<Dictionary<string, double?>>(reader.GetString(1), FeatureStore.Json)!;
            Assert.Equal(expected.OrderBy(kv => kv.Key), actual.OrderBy(kv => kv.Key));
            checkedEntities++;
        }

        Assert.Equal(12, checkedEntities);
        await using var counts = db.CreateCommand("SELECT sum((feature_values->>'heart_rate_count_24h')::float8) FROM online_vectors");
        var heartRates = observations.Count(o => o.Code == "heart_rate" && o.EventTime > observations.Where(x => x.EntityId == o.EntityId).Max(x => x.EventTime).AddHours(-24));
        Assert.Equal(heartRates, (double)(await counts.ExecuteScalarAsync())!);
    }

    static async Task WaitOrExplainAsync(ServiceProcess process, Func<Task<bool>> condition, string what)
    {
        try
        {
            await Eventually.WaitUntilAsync(condition, what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + " The feature process wrote:\n" + process.RecentOutput, ex);
        }
    }

    static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        try
        {
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }
}
