using System.Net;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Inference;
using Mlops.Inference.Telemetry;
using Mlops.Kafka;
using Mlops.Kafka.Producing;

namespace Mlops.Inference.Batch;

/// <summary>A job as asked for, validated: the model's name, maybe its version, the dataset version and when to score.</summary>
public sealed record BatchJobSpec(string Model, string? Version, string DatasetVersion, IReadOnlyList<DateTimeOffset>? Times, string? LabelName, string? OutputTopic);

/// <summary>
/// Plans a job: resolves the model version once, lists the dataset version's entities (from the features service),
/// records the job and its chunks of <see cref="BatchJobOptions.EntitiesPerChunk"/> entities, then puts one record per
/// chunk on the chunk topic — keyed by job and chunk, so the partitions (and the replicas owning them) share the work.
/// </summary>
public sealed class BatchJobPlanner(
    BatchModelResolver models, DatasetVectorsClient features, BatchJobStore store, IEventProducer producer, KafkaTopicAdmin topics,
    IOptions<BatchJobOptions> options, TimeProvider clock)
{
    /// <summary>The outcome: the job, or the field to blame with the problem and whether it is a 404.</summary>
    public sealed record Outcome(BatchJob? Job, string? Field = null, string? Problem = null, bool NotFound = false);

    public async Task<Outcome> PlanAsync(BatchJobSpec spec, CancellationToken cancellationToken)
    {
        using var activity = InferenceTelemetry.ActivitySource.StartActivity("plan batch job");
        var (model, field, problem) = await models.ResolveAsync(spec.Model, spec.Version, cancellationToken);
        if (model is null)
        {
            return new Outcome(null, field, problem, NotFound: true);
        }

        var settings = options.Value;
        var chunks = new List<IReadOnlyList<string>>();
        var current = new List<string>(settings.EntitiesPerChunk);
        var entities = 0;
        try
        {
            await foreach (var entityId in features.EntitiesAsync(spec.DatasetVersion, cancellationToken))
            {
                entities++;
                current.Add(entityId);
                if (current.Count == settings.EntitiesPerChunk)
                {
                    chunks.Add(current);
                    current = new List<string>(settings.EntitiesPerChunk);
                }
            }
        }
        catch (DatasetVectorsRefusedException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return new Outcome(null, "datasetVersion", $"no dataset version '{spec.DatasetVersion}'", NotFound: true);
        }
        catch (DatasetVectorsRefusedException ex)
        {
            return new Outcome(null, "datasetVersion", ex.Message);
        }

        if (current.Count > 0)
        {
            chunks.Add(current);
        }

        var job = new BatchJob
        {
            JobId = "batch-" + Guid.CreateVersion7().ToString("N"),
            ModelName = model.Name,
            ModelVersion = model.Version,
            ArtifactSha256 = model.ArtifactSha256,
            Features = model.Features,
            FeatureSetVersion = model.FeatureSetVersion,
            DatasetVersion = spec.DatasetVersion,
            Times = spec.Times,
            LabelName = spec.LabelName,
            OutputTopic = spec.OutputTopic,
            State = BatchJobStates.Planning,
            Entities = entities,
            ChunksTotal = chunks.Count,
            CreatedAt = clock.GetUtcNow(),
        };
        activity?.SetTag("mlops.batch.job", job.JobId);
        activity?.SetTag("mlops.batch.chunks", chunks.Count);
        await store.CreateAsync(job, chunks, cancellationToken);

        // Created before the first chunk is produced, with the partitions that spread the work; a no-op when they exist.
        await topics.EnsureTopicsAsync(spec.OutputTopic is null ? [settings.Topic] : [settings.Topic, spec.OutputTopic], settings.Partitions, cancellationToken: cancellationToken);
        await Task.WhenAll(Enumerable.Range(0, chunks.Count).Select(chunk =>
            producer.ProduceAsync(settings.Topic, $"{job.JobId}/{chunk}", new BatchChunkRequested { JobId = job.JobId, Chunk = chunk }, cancellationToken)));
        await store.MarkRunningAsync(job.JobId, cancellationToken);
        InferenceTelemetry.BatchJobs.Add(1);
        return new Outcome(await store.FindAsync(job.JobId, cancellationToken) ?? job);
    }
}
