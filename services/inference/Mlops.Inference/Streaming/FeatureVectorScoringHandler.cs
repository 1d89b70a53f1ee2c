using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Kafka;
using Mlops.Inference.Models;
using Mlops.Inference.Scoring;
using Mlops.Inference.Telemetry;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Producing;

namespace Mlops.Inference.Streaming;

/// <summary>
/// Streaming scoring: every feature vector refreshes the local cache and, when it holds every feature the model
/// needs, yields a <see cref="PredictionMade"/> on <c>predictions.v1</c> keyed by entity. The consumer host runs this
/// inside the feature event's trace, so the prediction continues it. Streaming scores with the default model
/// (<c>Inference:DefaultModel</c>). Redelivery re-publishes the prediction (same model, same vector, a new
/// <c>predictionId</c>), which downstream consumers tolerate by key and feature event id.
/// </summary>
public sealed class FeatureVectorScoringHandler(
    OnlineFeatureCache cache,
    Predictor predictor,
    IEventProducer producer,
    IOptions<InferenceOptions> options,
    ILogger<FeatureVectorScoringHandler> logger) : IKafkaEventHandler<FeatureVectorUpdated>
{
    public async Task HandleAsync(EventEnvelope<FeatureVectorUpdated> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        var vector = envelope.Data;
        cache.Update(vector);
        PredictionResult result;
        try
        {
            result = await predictor.PredictAsync(vector.Values, cancellationToken);
        }
        catch (FeatureValidationException ex)
        {
            // A vector early in an entity's history lacks features; it is cached and scored once complete.
            InferenceTelemetry.StreamingUnscored.Add(1);
            logger.LogDebug("Vector for {EntityId} not scored: {Reason}", vector.EntityId, ex.Message);
            return;
        }

        await producer.ProduceAsync(options.Value.Streaming.PredictionsTopic, vector.EntityId, new PredictionMade
        {
            PredictionId = result.PredictionId,
            Variant = result.Variant,
            EntityId = vector.EntityId,
            ModelName = result.ModelName,
            ModelVersion = result.ModelVersion,
            Probability = result.Probability,
            Uncertainty = result.Uncertainty,
            Fallback = result.Fallback,
            FeatureEventTime = vector.EventTime,
            FeatureSetVersion = vector.FeatureSetVersion,
            PredictedAt = DateTimeOffset.UtcNow,
            FeatureEventId = envelope.Id,
            TriggeringObservationId = vector.TriggeringObservationId,
        }, cancellationToken);
    }
}
