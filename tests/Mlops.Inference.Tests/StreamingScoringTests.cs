using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Kafka;
using Mlops.Inference.Streaming;
using Mlops.Kafka;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Producing;
using Mlops.Testing;

namespace Mlops.Inference.Tests;

public sealed class StreamingScoringTests : IAsyncLifetime
{
    readonly InferenceAppFactory _factory = new();
    readonly PredictionSink _sink = new();
    IHost _downstream = null!;
    HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        // A downstream consumer of predictions.v1, as monitoring would be.
        var builder = TestHost.CreateBuilder("inference-tests-downstream");
        builder.AddPlatformKafka();
        builder.Services.AddSingleton(_sink);
        builder.AddKafkaConsumer<PredictionMade, PredictionSinkHandler>(PlatformInfrastructure.UniqueName("downstream"), [_factory.PredictionsTopic]);
        _downstream = builder.Build();
        await _downstream.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([_factory.FeaturesTopic, _factory.PredictionsTopic]);
        await _downstream.StartAsync();
        _client = await _factory.ReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        await _downstream.StopAsync();
        _downstream.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task FeatureVectorUpdated_Consumed_PublishesPredictionKeyedByEntityInSameTraceAndFillsCache()
    {
        var entity = PlatformInfrastructure.UniqueName("patient");
        var vitals = Models.Vitals(122, 25, 91, 38.6, 94);
        var eventTime = new DateTimeOffset(2026, 11, 1, 8, 30, 0, TimeSpan.Zero);
        using var source = new ActivitySource("Mlops.Inference.Tests");
        using var listener = new ActivityListener { ShouldListenTo = _ => true, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded };
        ActivitySource.AddActivityListener(listener);
        EventEnvelope<FeatureVectorUpdated> published;
        using (source.StartActivity("upstream"))
        {
            published = await _factory.Services.GetRequiredService<IEventProducer>().ProduceAsync(_factory.FeaturesTopic, entity, new FeatureVectorUpdated
            {
                EntityId = entity,
                EntityType = "patient",
                FeatureSetVersion = ArtifactServer.ShippedVersion,
                Values = vitals,
                EventTime = eventTime,
                ComputedAt = eventTime.AddSeconds(2),
                TriggeringObservationId = "obs-1",
            });
        }

        await Eventually.WaitUntilAsync(() => _sink.Received.ContainsKey(entity), "the prediction reached predictions.v1");

        var (envelope, key) = _sink.Received[entity];
        var prediction = envelope.Data;
        Assert.Equal(entity, key);
        Assert.Equal("deterioration", prediction.ModelName);
        Assert.Equal("1", prediction.ModelVersion);
        Assert.False(prediction.Fallback);
        Assert.Equal(Models.Expected(Models.V1, vitals).Mean, prediction.Probability, 5);
        Assert.Equal(Models.Expected(Models.V1, vitals).Std, prediction.Uncertainty, 5);
        Assert.Equal(eventTime, prediction.FeatureEventTime);
        Assert.Equal(published.Id, prediction.FeatureEventId);
        Assert.Equal("mlops.inference.prediction-made.v1", envelope.Type);
        // Named by the feature event and the model version, so a redelivered event yields the same prediction id.
        Assert.Equal(StreamingPredictionId.For(published.Id, "deterioration", "1"), prediction.PredictionId);
        Assert.Equal("local", prediction.Variant);
        Assert.Equal(TraceIdOf(published.TraceParent), TraceIdOf(envelope.TraceParent));

        // The same vector now sits in the online cache: predicting by entity needs no features in the request.
        using var response = await _client.PostAsync($"/api/inference/entities/{entity}/predict", null);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(prediction.Probability, body.GetProperty("probability").GetDouble(), 9);
    }

    static string? TraceIdOf(string? traceParent) => traceParent?.Split('-')[1];
}

public sealed class PredictionSink
{
    public ConcurrentDictionary<string, (EventEnvelope<PredictionMade> Envelope, string? Key)> Received { get; } = new();
}

public sealed class PredictionSinkHandler(PredictionSink sink) : IKafkaEventHandler<PredictionMade>
{
    public Task HandleAsync(EventEnvelope<PredictionMade> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        sink.Received[envelope.Data.EntityId] = (envelope, context.Key);
        return Task.CompletedTask;
    }
}
