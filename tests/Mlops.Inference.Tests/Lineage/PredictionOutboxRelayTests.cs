using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Inference;
using Mlops.Inference.Lineage;
using Mlops.Inference.Models;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Inference.Tests.Lineage;

/// <summary>
/// The outbox of HTTP predictions beside the prediction log, on the real PostgreSQL and Kafka: an entry left (written,
/// then the process stopped before publishing) is published once under its prediction id, streaming rows never are;
/// a row the version before left pending moves to the outbox; an entry whose log row is gone is dropped.
/// </summary>
public sealed class PredictionOutboxRelayTests : IAsyncLifetime
{
    readonly string _topic = PlatformInfrastructure.UniqueName("predictions-relay");
    NpgsqlDataSource _dataSource = null!;
    IHost _kafka = null!;
    PredictionLogDatabase _database = null!;
    PredictionOutboxRelay _relay = null!;

    public async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await PlatformInfrastructure.CreateDatabaseAsync("outbox"));
        _database = new PredictionLogDatabase(_dataSource);
        var builder = TestHost.CreateBuilder("inference-tests-outbox");
        builder.AddPlatformKafka();
        _kafka = builder.Build();
        await _kafka.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([_topic]);
        var inference = new InferenceOptions();
        inference.Streaming.PredictionsTopic = _topic;
        _relay = new PredictionOutboxRelay(_database, _kafka.Services.GetRequiredService<IEventProducer>(), Options.Create(new PredictionLogOptions { PublishBatchSize = 2 }),
            Options.Create(inference), _kafka.Services.GetRequiredService<IHostEnvironment>(), NullLogger<PredictionOutboxRelay>.Instance);
    }

    public async Task DisposeAsync()
    {
        _relay.Dispose();
        _kafka.Dispose();
        await _dataSource.DisposeAsync();
    }

    [Fact]
    public async Task PublishPending_RowsLeftPending_PublishedOnceUnderTheirIdsInBatches_StreamRowsNever()
    {
        await InsertAsync("http-1", "patient-1", pending: true);
        await InsertAsync("http-2", null, pending: true);
        await InsertAsync("http-3", "patient-3", pending: true);
        await InsertAsync("stream-1", "patient-4", pending: false);

        // Batches of two: two rounds empty the backlog, the third finds nothing.
        var rounds = new[] { await _relay.PublishPendingAsync(CancellationToken.None), await _relay.PublishPendingAsync(CancellationToken.None), await _relay.PublishPendingAsync(CancellationToken.None) };

        Assert.Equal([2, 1, 0], rounds);
        var published = Read(3);
        Assert.Equal(["http-1", "http-2", "http-3"], published.Select(p => p.Value.Id).Order());
        Assert.All(published, p => Assert.Equal(p.Value.Id, p.Value.Data.PredictionId));
        // Keyed by entity; the inline prediction without one by its own id, with an empty entity.
        Assert.Equal(["http-2", "patient-1", "patient-3"], published.Select(p => p.Key).Order());
        var inline = published.Single(p => p.Value.Id == "http-2").Value.Data;
        Assert.Equal(("", "m", "7", "champion", 0.25), (inline.EntityId, inline.ModelName, inline.ModelVersion, inline.Variant, inline.Probability));
        Assert.Equal(90.0, inline.Features!["heart_rate"]);
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var pending = new NpgsqlCommand("SELECT count(*) FROM prediction_outbox", connection);
        Assert.Equal(0L, await pending.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Schema_RowLeftPendingByTheVersionBeforeTheOutboxTable_MovedToTheOutboxAndPublishedOnce()
    {
        await InsertAsync("http-current", "patient-1", pending: true);
        await using (var connection = await _database.OpenConnectionAsync(CancellationToken.None))
        await using (var legacy = new NpgsqlCommand("""
            INSERT INTO prediction_log (prediction_id, entity_id, model_name, model_version, variant, features, probability, uncertainty, fallback, source,
                                        predicted_at, publish_pending)
            VALUES ('http-legacy', 'patient-2', 'm', '7', 'champion', '[{"name":"heart_rate","value":90}]', 0.25, 0, false, 'http', now(), true)
            """, connection))
        {
            await legacy.ExecuteNonQueryAsync();
        }

        // A replica of this version starting on the same database runs the schema script again.
        var upgraded = new PredictionLogDatabase(_dataSource);
        await (await upgraded.OpenConnectionAsync(CancellationToken.None)).DisposeAsync();

        Assert.Equal(2, await _relay.PublishPendingAsync(CancellationToken.None));
        Assert.Equal(0, await _relay.PublishPendingAsync(CancellationToken.None));
        Assert.Equal(["http-current", "http-legacy"], Read(2).Select(p => p.Value.Id).Order());
        await using var check = await _dataSource.OpenConnectionAsync();
        await using var pending = new NpgsqlCommand("SELECT count(*) FROM prediction_log WHERE publish_pending", check);
        Assert.Equal(0L, await pending.ExecuteScalarAsync());
    }

    [Fact]
    public async Task PublishPending_EntryWhoseLogRowWasPurged_DroppedWithoutPublishing()
    {
        await InsertAsync("http-kept", "patient-1", pending: true);
        await InsertAsync("http-purged", "patient-2", pending: true);
        await using (var connection = await _dataSource.OpenConnectionAsync())
        await using (var purge = new NpgsqlCommand("DELETE FROM prediction_log WHERE prediction_id = 'http-purged'", connection))
        {
            await purge.ExecuteNonQueryAsync();
        }

        Assert.Equal(2, await _relay.PublishPendingAsync(CancellationToken.None));
        Assert.Equal(0, await _relay.PublishPendingAsync(CancellationToken.None));
        Assert.Equal(["http-kept"], Read(1).Select(p => p.Value.Id));
    }

    List<KeyValuePair<string?, Mlops.Contracts.Kafka.EventEnvelope<PredictionMade>>> Read(int expected)
    {
        var config = _kafka.Services.GetRequiredService<KafkaClientConfigFactory>().CreateConsumerConfig(PlatformInfrastructure.UniqueName("reader"), "test-reader");
        using var consumer = new ConsumerBuilder<string?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(_topic);
        var read = new List<KeyValuePair<string?, Mlops.Contracts.Kafka.EventEnvelope<PredictionMade>>>();
        // Until the expected records are in, then a little longer: a second copy would arrive right behind them.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var settle = DateTime.MaxValue;
        while (DateTime.UtcNow < deadline && DateTime.UtcNow < settle)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: { } message })
            {
                read.Add(new(message.Key, EnvelopeSerializer.Deserialize<PredictionMade>(message.Value)));
            }

            if (read.Count >= expected && settle == DateTime.MaxValue)
            {
                settle = DateTime.UtcNow.AddSeconds(2);
            }
        }

        consumer.Close();
        return read;
    }

    /// <summary>A log row as the writer leaves it; a pending one with its outbox entry (the writer inserts both in one statement).</summary>
    async Task InsertAsync(string id, string? entity, bool pending)
    {
        await using var connection = await _database.OpenConnectionAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand("""
            WITH logged AS (
                INSERT INTO prediction_log (prediction_id, entity_id, model_name, model_version, variant, features, probability, uncertainty, fallback, source,
                                            predicted_at)
                VALUES ($1, $2, 'm', '7', 'champion', '[{"name":"heart_rate","value":90}]', 0.25, 0, false, $3, now())
                RETURNING prediction_id, predicted_at)
            INSERT INTO prediction_outbox SELECT prediction_id, predicted_at FROM logged WHERE $4
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entity ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = pending ? PredictionSources.Http : PredictionSources.Stream });
        command.Parameters.Add(new NpgsqlParameter { Value = pending });
        await command.ExecuteNonQueryAsync();
    }
}
