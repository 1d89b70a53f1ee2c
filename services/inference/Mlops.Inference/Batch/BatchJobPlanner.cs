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
/// Plans a job: resolves the model version once, lists the dataset version's entities (from the features service, in
/// byte order), records the job, then its chunks of <see cref="BatchJobOptions.EntitiesPerChunk"/> entities, then puts
/// one record per chunk on the chunk topic — keyed by job and chunk, so the partitions (and the replicas owning them)
/// share the work — and only then marks it running. All of it under the job's planning lock: a planner killed at any
/// step leaves the job in planning with its lock released, and <see cref="BatchPlanningResumer"/> on some replica takes
/// the lock and does the rest again (<see cref="ResumeAsync"/>). Every step is idempotent: chunk <c>n</c> is always the
/// same entities (the dataset version is immutable and listed in the same order), recorded once, and a chunk record
/// sent twice is scored once (the worker skips a chunk that is done; result rows are keyed by job, entity and time).
/// </summary>
public sealed class BatchJobPlanner(
    BatchModelResolver models, DatasetVectorsClient features, BatchJobStore store, IEventProducer producer, KafkaTopicAdmin topics,
    IOptions<BatchJobOptions> options, TimeProvider clock, ILogger<BatchJobPlanner> logger)
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

        IReadOnlyList<IReadOnlyList<string>> chunks;
        int entities;
        try
        {
            (chunks, entities) = await ChunksAsync(spec.DatasetVersion, cancellationToken);
        }
        catch (DatasetVectorsRefusedException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return new Outcome(null, "datasetVersion", $"no dataset version '{spec.DatasetVersion}'", NotFound: true);
        }
        catch (DatasetVectorsRefusedException ex)
        {
            return new Outcome(null, "datasetVersion", ex.Message);
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

        // Taken before the job exists, so no resumer can mistake a job being planned for one whose planner died.
        await using (await store.LockPlanningAsync(job.JobId, cancellationToken))
        {
            await store.CreateAsync(job, cancellationToken);
            await PublishAsync(job, chunks, cancellationToken);
        }

        InferenceTelemetry.BatchJobs.Add(1);
        return new Outcome(await store.FindAsync(job.JobId, cancellationToken) ?? job);
    }

    /// <summary>
    /// Finishes the planning of a job whose planner died, the caller holding its planning lock: the chunks again (when
    /// they were not recorded), every chunk record again, then running. A dataset version that no longer lists the
    /// same entities fails the job with the reason rather than scoring something else.
    /// </summary>
    public async Task ResumeAsync(BatchJob job, CancellationToken cancellationToken)
    {
        using var activity = InferenceTelemetry.ActivitySource.StartActivity("resume batch job planning");
        activity?.SetTag("mlops.batch.job", job.JobId);
        IReadOnlyList<IReadOnlyList<string>> chunks = [];
        if (await store.CountChunksAsync(job.JobId, cancellationToken) < job.ChunksTotal)
        {
            int entities;
            try
            {
                (chunks, entities) = await ChunksAsync(job.DatasetVersion, cancellationToken);
            }
            catch (DatasetVectorsRefusedException ex)
            {
                await store.FailAsync(job.JobId, $"planning resumed, but the dataset version's entities could not be listed: {ex.Message}", cancellationToken);
                return;
            }

            if (entities != job.Entities || chunks.Count != job.ChunksTotal)
            {
                await store.FailAsync(job.JobId,
                    $"planning resumed, but dataset version '{job.DatasetVersion}' now lists {entities} entities in {chunks.Count} chunks, not {job.Entities} in {job.ChunksTotal}", cancellationToken);
                return;
            }
        }

        await PublishAsync(job, chunks, cancellationToken);
        logger.LogInformation("Batch job {Job}: planning resumed, {Chunks} chunks on the topic", job.JobId, job.ChunksTotal);
    }

    async Task PublishAsync(BatchJob job, IReadOnlyList<IReadOnlyList<string>> chunks, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await store.AddChunksAsync(job.JobId, chunks, cancellationToken);

        // Created before the first chunk is produced, with the partitions that spread the work; a no-op when they exist.
        await topics.EnsureTopicsAsync(job.OutputTopic is null ? [settings.Topic] : [settings.Topic, job.OutputTopic], settings.Partitions, cancellationToken: cancellationToken);
        await Task.WhenAll(Enumerable.Range(0, job.ChunksTotal).Select(chunk =>
            producer.ProduceAsync(settings.Topic, $"{job.JobId}/{chunk}", new BatchChunkRequested { JobId = job.JobId, Chunk = chunk }, cancellationToken)));
        await store.MarkRunningAsync(job.JobId, cancellationToken);
    }

    /// <summary>The dataset version's entities in byte order, cut into chunks: the same chunks however often it is listed.</summary>
    async Task<(IReadOnlyList<IReadOnlyList<string>> Chunks, int Entities)> ChunksAsync(string datasetVersion, CancellationToken cancellationToken)
    {
        var all = new List<string>();
        await foreach (var entityId in features.EntitiesAsync(datasetVersion, cancellationToken))
        {
            all.Add(entityId);
        }

        all.Sort(StringComparer.Ordinal);
        return ([.. all.Chunk(options.Value.EntitiesPerChunk)], all.Count);
    }
}
