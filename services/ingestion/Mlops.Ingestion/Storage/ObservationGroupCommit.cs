using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Mlops.Ingestion.Validation;
using Mlops.ServiceDefaults.Resilience;

namespace Mlops.Ingestion.Storage;

/// <summary>
/// Group commit for single observations: requests that arrive while a commit is under way are stored together by the
/// next one — one <c>INSERT … unnest</c>, one outbox insert, one <c>COMMIT</c> — and each is answered only after that
/// commit, so nothing is acknowledged before it is durable. One request per transaction cost about 3 CPU-ms and one
/// disk flush per observation, which capped the single-observation intake at a few hundred per second on two cores.
/// There is no added delay: a request that finds no commit under way is committed at once (alone). Each observation
/// keeps its own trace context in the outbox, so its trace still runs on to its prediction.
/// </summary>
public sealed class ObservationGroupCommit(RawObservationStore store, IOptions<GroupCommitOptions> options, ILogger<ObservationGroupCommit> logger)
    : BackgroundService
{
    sealed record Pending(ValidatedObservation Observation, SenderTrace Trace, TaskCompletionSource<StoreResult> Done);

    readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.Value.QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Stores one observation with the next commit; completes when that commit did (or failed).</summary>
    public async Task<StoreResult> StoreAsync(ValidatedObservation observation, CancellationToken cancellationToken)
    {
        var pending = new Pending(observation, SenderTrace.Current, new TaskCompletionSource<StoreResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        // Once queued it is stored whether or not the caller still waits: a request that gave up may still have been kept.
        return await pending.Done.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var group = new List<Pending>(options.Value.MaxGroupSize);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                group.Clear();
                while (group.Count < options.Value.MaxGroupSize && _queue.Reader.TryRead(out var next))
                {
                    group.Add(next);
                }

                await CommitAsync(group, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Shutting down: what is still queued was never stored; its senders get an error, not an acknowledgement.
            _queue.Writer.TryComplete();
            foreach (var pending in group.Concat(Drain()))
            {
                pending.Done.TrySetException(new OperationCanceledException("ingestion is shutting down; the observation was not stored"));
            }
        }
    }

    IEnumerable<Pending> Drain()
    {
        while (_queue.Reader.TryRead(out var pending))
        {
            yield return pending;
        }
    }

    async Task CommitAsync(List<Pending> group, CancellationToken stoppingToken)
    {
        using var activity = IngestionTelemetry.Source.StartActivity("ingest group commit", ActivityKind.Internal, parentContext: default,
            links: group.Where(p => p.Trace.Context != default).Select(p => new ActivityLink(p.Trace.Context)).Take(32));
        activity?.SetTag("mlops.group.size", group.Count);
        IngestionTelemetry.GroupCommitSize.Record(group.Count);
        try
        {
            var results = await store.StoreAsync([.. group.Select(p => p.Observation)], [.. group.Select(p => p.Trace)], stoppingToken);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Done.TrySetResult(results[i]);
            }
        }
        catch (Exception e) when (group.Count > 1 && !stoppingToken.IsCancellationRequested && !TransientFailure.Is(e, stoppingToken))
        {
            // Not the database being away: something in one observation. Each is stored on its own, so the others are kept.
            logger.LogWarning(e, "A group of {Count} observations failed to commit; storing them one by one", group.Count);
            foreach (var pending in group)
            {
                await CommitAsync([pending], stoppingToken);
            }
        }
        catch (Exception e)
        {
            // The database away, shutting down, or one observation's own failure: each sender gets the error, as its own
            // transaction would have.
            foreach (var pending in group)
            {
                pending.Done.TrySetException(e);
            }
        }
    }
}
