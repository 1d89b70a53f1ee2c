using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Kafka;
using Mlops.Kafka.Consuming;
using Mlops.Monitoring.Storage;
using Mlops.Monitoring.Streaming;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Monitoring.Tests.Streaming;

/// <summary>
/// The feature-vector and prediction handlers on the real database, called as the consumer host calls them: each batch
/// is one statement that marks the inbox and applies only the records it has not seen.
/// </summary>
public sealed class StreamingHandlersTests(MonitoringAppFactory factory) : IClassFixture<MonitoringAppFactory>
{
    [Fact]
    public async Task PredictionBeforeItsVector_Redelivered_StoredOnceJoinedAndNotReapplied()
    {
        var group = PlatformInfrastructure.UniqueName("handlers");
        var vector = Envelope(PlatformInfrastructure.UniqueName("vec"), new FeatureVectorUpdated
        {
            EntityId = "patient-1",
            EntityType = "patient",
            FeatureSetVersion = "vitals-test",
            Values = new Dictionary<string, double?> { ["heart_rate"] = 91, ["spo2"] = null, ["temperature"] = double.NaN },
            EventTime = DateTimeOffset.UtcNow,
            ComputedAt = DateTimeOffset.UtcNow,
        });
        var prediction = Envelope(PlatformInfrastructure.UniqueName("pred"), Prediction(vector.Id, fallback: false));
        var fallback = Envelope(PlatformInfrastructure.UniqueName("pred"), Prediction(vector.Id, fallback: true));

        // The prediction first, in a batch that repeats it (a producer retry) and carries a fallback answer.
        await HandleAsync<PredictionsHandler, PredictionMade>(group, "predictions", prediction, prediction, fallback);
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM prediction_samples WHERE event_id = $1", prediction.Id));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM prediction_samples WHERE event_id = $1", fallback.Id));
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM kafka_inbox WHERE event_id IN ($1, $2)", prediction.Id, fallback.Id));
        Assert.Equal(DBNull.Value, await ScalarAsync("SELECT feature_values FROM prediction_samples WHERE event_id = $1", prediction.Id));

        // Its vector then hands it the finite values.
        await HandleAsync<FeatureVectorsHandler, FeatureVectorUpdated>(group, "features", vector);
        Assert.Equal("{\"heart_rate\": 91}", await ScalarAsync("SELECT feature_values::text FROM prediction_samples WHERE event_id = $1", prediction.Id));
        Assert.Equal("{\"heart_rate\": 91}", await ScalarAsync("SELECT feature_values::text FROM feature_vectors WHERE event_id = $1", vector.Id));

        // A redelivery after the sample was pruned changes nothing: the inbox, not the table, says it was applied.
        await ScalarAsync("DELETE FROM prediction_samples WHERE event_id = $1", prediction.Id);
        await HandleAsync<PredictionsHandler, PredictionMade>(group, "predictions", prediction);
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM prediction_samples WHERE event_id = $1", prediction.Id));

        // A prediction whose vector is already stored is joined on arrival.
        var later = Envelope(PlatformInfrastructure.UniqueName("pred"), Prediction(vector.Id, fallback: false));
        await HandleAsync<PredictionsHandler, PredictionMade>(group, "predictions", later);
        Assert.Equal("{\"heart_rate\": 91}", await ScalarAsync("SELECT feature_values::text FROM prediction_samples WHERE event_id = $1", later.Id));
    }

    [Fact]
    public async Task BatchWhoseEffectsFail_NothingMarkedOrStored()
    {
        var group = PlatformInfrastructure.UniqueName("handlers");
        var good = Envelope(PlatformInfrastructure.UniqueName("pred"), Prediction(null, fallback: false));
        // A prediction without a model version breaks prediction_samples' NOT NULL: the whole statement fails.
        var broken = Envelope(PlatformInfrastructure.UniqueName("pred"), Prediction(null, fallback: false) with { ModelVersion = null! });

        await Assert.ThrowsAsync<PostgresException>(() => HandleAsync<PredictionsHandler, PredictionMade>(group, "predictions", good, broken));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM kafka_inbox WHERE event_id IN ($1, $2)", good.Id, broken.Id));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM prediction_samples WHERE event_id IN ($1, $2)", good.Id, broken.Id));

        // Retried without the culprit (as the host does record by record), the good one goes through.
        await HandleAsync<PredictionsHandler, PredictionMade>(group, "predictions", good);
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM prediction_samples WHERE event_id = $1", good.Id));
    }

    [Fact]
    public async Task DatabaseCut_BatchFailsAsTransientAndAppliesOnceWhenBack()
    {
        var group = PlatformInfrastructure.UniqueName("handlers");
        var prediction = Envelope(PlatformInfrastructure.UniqueName("pred"), Prediction(null, fallback: false));
        await factory.Services.GetRequiredService<MonitoringDatabase>().EnsureAsync(CancellationToken.None);
        var connectionString = factory.Services.GetRequiredService<IConfiguration>().GetConnectionString("monitoring")!;
        var (proxy, viaProxy) = TcpProxy.ForPostgres(connectionString);
        await using var _ = proxy;
        await using var dataSource = NpgsqlDataSource.Create(viaProxy);
        var handler = new PredictionsHandler(new Mlops.Kafka.Idempotency.KafkaInbox(dataSource, new Mlops.Kafka.Idempotency.KafkaInboxUse()));
        var records = new[] { prediction }.Select(e => new KafkaRecord<PredictionMade>(e, new KafkaMessageContext
        {
            Topic = "predictions", Partition = 0, Offset = 0, Key = e.Subject, ConsumerGroup = group, Attempt = 1,
        })).ToList();

        // The consumer host pauses and retries on what TransientFailure recognises; anything else would be dead-lettered.
        proxy.Cut();
        var failure = await Record.ExceptionAsync(() => handler.HandleBatchAsync(records, CancellationToken.None));
        Assert.NotNull(failure);
        Assert.True(Mlops.ServiceDefaults.Resilience.TransientFailure.Is(failure), $"transient: {failure}");
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM kafka_inbox WHERE event_id = $1", prediction.Id));

        proxy.Restore();
        await handler.HandleBatchAsync(records, CancellationToken.None);
        await handler.HandleBatchAsync(records, CancellationToken.None);
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM prediction_samples WHERE event_id = $1", prediction.Id));
    }

    async Task HandleAsync<THandler, T>(string group, string topic, params EventEnvelope<T>[] envelopes)
        where THandler : IKafkaBatchEventHandler<T>
    {
        await factory.Services.GetRequiredService<MonitoringDatabase>().EnsureAsync(CancellationToken.None);
        await using var scope = factory.Services.CreateAsyncScope();
        var handler = ActivatorUtilities.CreateInstance<THandler>(scope.ServiceProvider);
        var records = envelopes.Select((e, i) => new KafkaRecord<T>(e, new KafkaMessageContext
        {
            Topic = topic, Partition = 0, Offset = i, Key = e.Subject, ConsumerGroup = group, Attempt = 1,
        })).ToList();
        await handler.HandleBatchAsync(records, CancellationToken.None);
    }

    async Task<object?> ScalarAsync(string sql, params object[] values)
    {
        await using var command = factory.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new() { Value = value });
        }

        return await command.ExecuteScalarAsync();
    }

    static PredictionMade Prediction(string? featureEventId, bool fallback) => new()
    {
        EntityId = "patient-1",
        ModelName = "deterioration",
        ModelVersion = "9.9.9",
        Probability = 0.3,
        Uncertainty = 0,
        Fallback = fallback,
        FeatureEventTime = DateTimeOffset.UtcNow,
        FeatureSetVersion = "vitals-test",
        PredictedAt = DateTimeOffset.UtcNow,
        FeatureEventId = featureEventId,
        PredictionId = Guid.CreateVersion7().ToString(),
        Variant = "champion",
    };

    static EventEnvelope<T> Envelope<T>(string id, T data) => new()
    {
        Id = id,
        Source = "tests",
        Type = typeof(T).Name,
        Time = DateTimeOffset.UtcNow,
        Subject = "patient-1",
        Data = data,
    };
}
