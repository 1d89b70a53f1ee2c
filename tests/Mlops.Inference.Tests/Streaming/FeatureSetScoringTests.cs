using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Kafka;
using Mlops.Kafka;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Producing;
using Mlops.Testing;

namespace Mlops.Inference.Tests.Streaming;

/// <summary>
/// The features service publishes one vector per feature set and entity on <c>features.v1</c>. The pod serves the
/// default model (v1 test ensemble, no recorded feature set: the shipped set's vectors) and a second model (v2 test
/// ensemble) whose registration records another set's version; each is scored and answers only with its own set.
/// </summary>
public sealed class FeatureSetScoringTests : IAsyncLifetime
{
    const string OtherModel = "sepsis-risk";
    const string OtherSet = "sepsis-0123456789ab";

    readonly InferenceAppFactory _factory = new(settings: OtherModelSettings());
    readonly AllPredictions _sink = new();
    IHost _downstream = null!;
    HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = TestHost.CreateBuilder("inference-tests-feature-sets");
        builder.AddPlatformKafka();
        builder.Services.AddSingleton(_sink);
        builder.AddKafkaConsumer<PredictionMade, AllPredictionsHandler>(PlatformInfrastructure.UniqueName("downstream"), [_factory.PredictionsTopic]);
        _downstream = builder.Build();
        await _downstream.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([_factory.FeaturesTopic, _factory.PredictionsTopic]);
        await _downstream.StartAsync();
        _client = await _factory.ReadyClientAsync();
        await _factory.ReadyClientAsync(model: OtherModel);
    }

    public async Task DisposeAsync()
    {
        await _downstream.StopAsync();
        _downstream.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task FeatureVectorOfAnotherSet_IsNotScoredByTheDefaultModel_AndDoesNotReplaceItsCachedVector()
    {
        var entity = PlatformInfrastructure.UniqueName("patient");
        var shipped = Models.Vitals(122, 25, 91, 38.6, 94);
        var other = Models.Vitals(70, 14, 98, 36.8, 125);
        var t0 = new DateTimeOffset(2026, 11, 1, 8, 30, 0, TimeSpan.Zero);
        Assert.True(Math.Abs(Models.Expected(Models.V1, shipped).Mean - Models.Expected(Models.V1, other).Mean) > 1e-3, "the two vectors must be told apart");

        // Same key, same partition: handled in this order. The other set's vector is newer than both shipped ones, so
        // a cache keeping one vector per entity would answer with it (the last shipped one, older, would not replace it).
        var a = await PublishAsync(entity, ArtifactServer.ShippedVersion, shipped, t0);
        var b = await PublishAsync(entity, OtherSet, other, t0.AddMinutes(1));
        var c = await PublishAsync(entity, ArtifactServer.ShippedVersion, shipped, t0);
        await Eventually.WaitUntilAsync(() => _sink.Of(c.Id).Count > 0, "the last vector was scored, so every earlier one was handled");

        // Redelivery may repeat a prediction (at least once); what counts is which models scored which vector.
        Assert.Equal(["deterioration"], ModelsThatScored(a.Id));
        Assert.Equal([OtherModel], ModelsThatScored(b.Id));
        Assert.Equal(["deterioration"], ModelsThatScored(c.Id));
        var byA = _sink.Of(a.Id)[0];
        Assert.Equal("deterioration", byA.ModelName);
        Assert.Equal(ArtifactServer.ShippedVersion, byA.FeatureSetVersion);
        Assert.Equal(Models.Expected(Models.V1, shipped).Mean, byA.Probability, 5);
        var byB = _sink.Of(b.Id)[0];
        Assert.Equal(OtherModel, byB.ModelName);
        Assert.Equal(OtherSet, byB.FeatureSetVersion);
        Assert.Equal(Models.Expected(Models.V2, other).Mean, byB.Probability, 5);

        var byDefault = await PredictEntityAsync($"/api/inference/entities/{entity}/predict");
        Assert.Equal(Models.Expected(Models.V1, shipped).Mean, byDefault.GetProperty("probability").GetDouble(), 5);
        var byOther = await PredictEntityAsync($"/api/inference/models/{OtherModel}/entities/{entity}/predict");
        Assert.Equal(Models.Expected(Models.V2, other).Mean, byOther.GetProperty("probability").GetDouble(), 5);
        Assert.Equal(0, _factory.Upstream.EntityReads);
    }

    [Fact]
    public async Task PredictEntity_CacheMiss_ReadsTheModelsSetThroughAndRefusesAnotherVersionOfIt()
    {
        var entity = PlatformInfrastructure.UniqueName("patient");
        var shipped = Models.Vitals(122, 25, 91, 38.6, 94);
        var other = Models.Vitals(70, 14, 98, 36.8, 125);
        _factory.Upstream.Store(entity, shipped);
        _factory.Upstream.Store(entity, other, OtherSet);

        var byDefault = await PredictEntityAsync($"/api/inference/entities/{entity}/predict");
        Assert.Equal(Models.Expected(Models.V1, shipped).Mean, byDefault.GetProperty("probability").GetDouble(), 5);
        var byOther = await PredictEntityAsync($"/api/inference/models/{OtherModel}/entities/{entity}/predict");
        Assert.Equal(Models.Expected(Models.V2, other).Mean, byOther.GetProperty("probability").GetDouble(), 5);
        Assert.Equal([null, "sepsis"], _factory.Upstream.SetsAsked);

        // The set was re-registered since the model was trained: the version in use under its name is not its input.
        var later = PlatformInfrastructure.UniqueName("patient");
        _factory.Upstream.Store(later, other, "sepsis-fedcba987654");
        using var response = await _client.PostAsync($"/api/inference/models/{OtherModel}/entities/{later}/predict", null);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(OtherSet, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    string[] ModelsThatScored(string featureEventId) => [.. _sink.Of(featureEventId).Select(p => p.ModelName).Distinct()];

    async Task<JsonElement> PredictEntityAsync(string path)
    {
        using var response = await _client.PostAsync(path, null);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    Task<EventEnvelope<FeatureVectorUpdated>> PublishAsync(string entity, string featureSetVersion, Dictionary<string, double?> values, DateTimeOffset eventTime) =>
        _factory.Services.GetRequiredService<IEventProducer>().ProduceAsync(_factory.FeaturesTopic, entity, new FeatureVectorUpdated
        {
            EntityId = entity,
            EntityType = "patient",
            FeatureSetVersion = featureSetVersion,
            Values = values,
            EventTime = eventTime,
            ComputedAt = eventTime.AddSeconds(2),
        });

    /// <summary>A second local model, the v2 test ensemble, recorded as trained on <see cref="OtherSet"/>.</summary>
    static Dictionary<string, string?> OtherModelSettings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Inference:LocalModels:1:Name"] = OtherModel,
            ["Inference:LocalModels:1:Version"] = "7",
            ["Inference:LocalModels:1:Path"] = Models.PathOf(Models.V2),
            ["Inference:LocalModels:1:Sha256"] = Models.Sha256Of(Models.V2),
            ["Inference:LocalModels:1:FeatureSetVersion"] = OtherSet,
        };
        for (var i = 0; i < Models.Features.Length; i++)
        {
            settings[$"Inference:LocalModels:1:Features:{i}"] = Models.Features[i];
            settings[$"Inference:LocalModels:1:Baseline:{Models.Features[i]}"] = Models.Baseline[i].ToString(CultureInfo.InvariantCulture);
        }

        return settings;
    }
}

/// <summary>Every prediction received, by the feature event that caused it.</summary>
public sealed class AllPredictions
{
    readonly ConcurrentDictionary<string, ConcurrentQueue<PredictionMade>> _byFeatureEvent = new(StringComparer.Ordinal);

    public void Add(PredictionMade prediction) =>
        _byFeatureEvent.GetOrAdd(prediction.FeatureEventId ?? "", _ => new ConcurrentQueue<PredictionMade>()).Enqueue(prediction);

    public IReadOnlyList<PredictionMade> Of(string featureEventId) =>
        _byFeatureEvent.TryGetValue(featureEventId, out var predictions) ? [.. predictions] : [];
}

public sealed class AllPredictionsHandler(AllPredictions sink) : IKafkaEventHandler<PredictionMade>
{
    public Task HandleAsync(EventEnvelope<PredictionMade> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        sink.Add(envelope.Data);
        return Task.CompletedTask;
    }
}
