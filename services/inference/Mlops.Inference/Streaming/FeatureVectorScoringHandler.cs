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
/// Streaming scoring: every feature vector refreshes the local cache (under its feature-set version) and is scored by
/// each served model fed by that version (<see cref="FeatureSets.Feeds"/>: the version the model's registration
/// records, or the shipped set for a model that records none — the default model's fallback rule included). Each
/// prediction that has every feature the model needs yields a <see cref="PredictionMade"/> on <c>predictions.v1</c>
/// keyed by entity; a vector of a set no served model uses is only cached. Each model scores the vector once, with the
/// variant <see cref="Mlops.Contracts.Registry.VariantAssignment"/> gives the entity (the gateway's hash and weights),
/// so <c>predictions.v1</c> carries champion and challenger predictions in the deployed shares; the shadow never scores
/// the stream. A pod serving only some variants (<c>Inference:Variants</c>) scores only its variants' entities, and
/// reads the topic in a consumer group of its own variant set. The consumer host runs this inside the
/// feature event's trace, so the predictions continue it. Redelivery re-publishes the predictions with the same
/// <c>predictionId</c> (<see cref="StreamingPredictionId"/>), so consumers deduplicate them.
/// </summary>
public sealed class FeatureVectorScoringHandler(
    OnlineFeatureCache cache,
    ModelCatalog catalog,
    Predictor predictor,
    IEventProducer producer,
    IOptions<InferenceOptions> options,
    ILogger<FeatureVectorScoringHandler> logger) : IKafkaEventHandler<FeatureVectorUpdated>
{
    public async Task HandleAsync(EventEnvelope<FeatureVectorUpdated> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        var vector = envelope.Data;
        cache.Update(vector, context);
        var scored = false;
        var leftToOthers = false;
        foreach (var name in catalog.Names)
        {
            var host = catalog.ForStream(name, vector.EntityId);
            if (host is null)
            {
                leftToOthers = true;
                continue;
            }

            if (!FeatureSets.Feeds(host.Current?.FeatureSetVersion, vector.FeatureSetVersion))
            {
                continue;
            }

            scored = true;
            await ScoreAsync(host, envelope, cancellationToken);
        }

        if (leftToOthers)
        {
            InferenceTelemetry.StreamingOtherVariant.Add(1);
        }
        else if (!scored)
        {
            InferenceTelemetry.StreamingOtherSet.Add(1);
            logger.LogDebug("Vector for {EntityId} of feature set {FeatureSet} not scored: no served model (variant) uses it", vector.EntityId, vector.FeatureSetVersion);
        }
    }

    async Task ScoreAsync(ModelHost host, EventEnvelope<FeatureVectorUpdated> envelope, CancellationToken cancellationToken)
    {
        var vector = envelope.Data;
        PredictionResult result;
        try
        {
            result = await predictor.PredictAsync(host, vector.Values, cancellationToken);
        }
        catch (FeatureValidationException ex)
        {
            // A vector early in an entity's history lacks features; it is cached and scored once complete.
            InferenceTelemetry.StreamingUnscored.Add(1);
            logger.LogDebug("Vector for {EntityId} not scored by {Model}: {Reason}", vector.EntityId, host.Name, ex.Message);
            return;
        }
        catch (ModelNotServedException)
        {
            // The host's model went between the check and the lease (pod stopping); nothing to score with.
            return;
        }

        await producer.ProduceAsync(options.Value.Streaming.PredictionsTopic, vector.EntityId, new PredictionMade
        {
            PredictionId = StreamingPredictionId.For(envelope.Id, result.ModelName, result.ModelVersion),
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
