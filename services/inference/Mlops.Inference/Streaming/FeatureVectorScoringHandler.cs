using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Inference.Lineage;
using Mlops.Inference.Models;
using Mlops.Inference.Scoring;
using Mlops.Inference.Telemetry;
using Mlops.Kafka;
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
/// reads the topic in a consumer group of its own variant set. Redelivery re-publishes the predictions with the same
/// <c>predictionId</c> (<see cref="StreamingPredictionId"/>), so consumers deduplicate them.
/// </summary>
/// <remarks>
/// A poll's worth of vectors is handled at once: every (vector, model) pair is scored concurrently, so the dynamic
/// batcher runs them as a few ONNX batches, and the predictions are then handed to the producer in the records' order
/// and awaited together. One at a time, each pair waited for its own ONNX run and its own broker acknowledgement, and a
/// history load of tens of thousands of vectors kept live observations waiting behind it for minutes. Each vector is
/// scored and published inside its own trace (the feature event's), so one trace still runs from the ingested
/// observation to its prediction.
/// </remarks>
public sealed class FeatureVectorScoringHandler(
    OnlineFeatureCache cache,
    ModelCatalog catalog,
    Predictor predictor,
    IEventProducer producer,
    PredictionLog log,
    IOptions<InferenceOptions> options,
    ILogger<FeatureVectorScoringHandler> logger) : IKafkaBatchEventHandler<FeatureVectorUpdated>
{
    public async Task HandleBatchAsync(IReadOnlyList<KafkaRecord<FeatureVectorUpdated>> records, CancellationToken cancellationToken)
    {
        // The cache first and in partition order, so an entity's newest vector wins whatever order the scoring ends in.
        foreach (var record in records)
        {
            cache.Update(record.Envelope.Data, record.Context);
        }

        var outer = Activity.Current;
        var scorings = new List<Scoring>(records.Count);
        try
        {
            foreach (var record in records)
            {
                Activity.Current = outer;
                var activity = InferenceTelemetry.ActivitySource.StartActivity(
                    "score feature vector", ActivityKind.Internal, TraceContext.Parse(record.Envelope.TraceParent, record.Envelope.TraceState));
                activity?.SetTag("mlops.entity.id", record.Envelope.Data.EntityId);
                activity?.SetTag("mlops.feature_set.version", record.Envelope.Data.FeatureSetVersion);
                scorings.Add(new Scoring(record, activity, Start(record, cancellationToken)));
            }

            Activity.Current = outer;
            await Task.WhenAll(scorings.SelectMany(s => s.Predictions));

            var deliveries = new List<Task>();
            foreach (var scoring in scorings)
            {
                Activity.Current = scoring.Activity ?? outer;
                foreach (var prediction in scoring.Predictions)
                {
                    if (prediction.Result is { } result)
                    {
                        deliveries.Add(PublishAsync(scoring.Record, result, cancellationToken));
                    }
                }
            }

            Activity.Current = outer;
            await Task.WhenAll(deliveries);
        }
        finally
        {
            foreach (var scoring in scorings)
            {
                scoring.Activity?.Dispose();
            }

            Activity.Current = outer;
        }
    }

    /// <summary>Starts the vector's scoring by every model fed by its set; the tasks end null where nothing is published.</summary>
    List<Task<PredictionResult?>> Start(KafkaRecord<FeatureVectorUpdated> record, CancellationToken cancellationToken)
    {
        var vector = record.Envelope.Data;
        var predictions = new List<Task<PredictionResult?>>();
        var leftToOthers = false;
        foreach (var name in catalog.Names)
        {
            var host = catalog.ForStream(name, vector.EntityId);
            if (host is null)
            {
                leftToOthers = true;
                continue;
            }

            if (FeatureSets.Feeds(host.Current?.FeatureSetVersion, vector.FeatureSetVersion))
            {
                predictions.Add(ScoreAsync(host, vector, cancellationToken));
            }
        }

        if (leftToOthers)
        {
            InferenceTelemetry.StreamingOtherVariant.Add(1);
        }
        else if (predictions.Count == 0)
        {
            InferenceTelemetry.StreamingOtherSet.Add(1);
            logger.LogDebug("Vector for {EntityId} of feature set {FeatureSet} not scored: no served model (variant) uses it", vector.EntityId, vector.FeatureSetVersion);
        }

        return predictions;
    }

    async Task<PredictionResult?> ScoreAsync(ModelHost host, FeatureVectorUpdated vector, CancellationToken cancellationToken)
    {
        try
        {
            return await predictor.PredictAsync(host, vector.Values, cancellationToken);
        }
        catch (FeatureValidationException ex)
        {
            // A vector early in an entity's history lacks features; it is cached and scored once complete.
            InferenceTelemetry.StreamingUnscored.Add(1);
            logger.LogDebug("Vector for {EntityId} not scored by {Model}: {Reason}", vector.EntityId, host.Name, ex.Message);
            return null;
        }
        catch (ModelNotServedException) when (catalog.ForStream(host.Name, vector.EntityId) is { } next && !ReferenceEquals(next, host)
                                              && FeatureSets.Feeds(next.Current?.FeatureSetVersion, vector.FeatureSetVersion))
        {
            // A deployment unloaded the variant between the choice and the lease (a promotion, the champion's route
            // leaving at 100 %): the variant the entity is assigned now scores it, so the vector still gets its prediction.
            return await ScoreAsync(next, vector, cancellationToken);
        }
        catch (ModelNotServedException)
        {
            // The model went altogether (retired, or the pod stopping); nothing to score with.
            return null;
        }
    }

    // The batch's offsets are committed after this: the log entry is awaited with the publication, so a vector whose
    // prediction is not yet in the log is consumed again after a crash (same prediction id, written once).
    async Task PublishAsync(KafkaRecord<FeatureVectorUpdated> record, PredictionResult result, CancellationToken cancellationToken)
    {
        var vector = record.Envelope.Data;
        var predictionId = StreamingPredictionId.For(record.Envelope.Id, result.ModelName, result.ModelVersion);
        var logged = log.RecordAsync(result, vector.EntityId, vector, PredictionSources.Stream, predictionId);
        await producer.ProduceAsync(options.Value.Streaming.PredictionsTopic, vector.EntityId, new PredictionMade
        {
            PredictionId = predictionId,
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
            FeatureEventId = record.Envelope.Id,
            TriggeringObservationId = vector.TriggeringObservationId,
        }, cancellationToken);
        await logged;
    }

    sealed record Scoring(KafkaRecord<FeatureVectorUpdated> Record, Activity? Activity, List<Task<PredictionResult?>> Predictions);
}
