using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Mlops.Inference.Models;
using Mlops.Inference.Telemetry;

namespace Mlops.Inference.Batching;

/// <summary>
/// Triton-style dynamic batching: concurrent requests queue up and one runner hands them to the model as a single
/// batch, as soon as <see cref="BatchingOptions.MaxBatchSize"/> rows are waiting or the first has waited
/// <see cref="BatchingOptions.MaxQueueDelay"/>; <see cref="BatchingOptions.Instances"/> runners take batches from the
/// one queue. Disabled, every request runs alone on the caller's thread.
/// </summary>
public sealed class DynamicBatcher : BackgroundService
{
    readonly BatchingOptions _options;
    readonly Channel<Pending> _queue;

    public DynamicBatcher(IOptions<InferenceOptions> options)
    {
        _options = options.Value.Batching;
        _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = _options.Instances <= 1 });
    }

    bool Enabled => _options.Enabled && _options.MaxBatchSize > 1;

    /// <summary>Scores one row with <paramref name="model"/> (which the caller keeps leased until this completes).</summary>
    public Task<(double Probability, double Uncertainty)> ScoreAsync(LoadedModel model, float[] row, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            Span<double> p = stackalloc double[1];
            Span<double> u = stackalloc double[1];
            model.Score(row, 1, p, u);
            InferenceTelemetry.BatchSize.Record(1, InferenceTelemetry.VersionTags(model));
            return Task.FromResult((p[0], u[0]));
        }

        var pending = new Pending(model, row, Stopwatch.GetTimestamp());
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The batching queue is closed.");
        }

        return pending.Completion.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, Math.Max(1, _options.Instances)).Select(_ => Task.Run(() => RunBatchesAsync(stoppingToken), CancellationToken.None)));
        }
        finally
        {
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var left))
            {
                left.Completion.TrySetCanceled(CancellationToken.None);
            }
        }
    }

    /// <summary>One runner: fills a batch from the queue, runs it, and again, until the service stops.</summary>
    async Task RunBatchesAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(_options.MaxBatchSize);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                var deadline = Stopwatch.GetTimestamp() + (long)(_options.MaxQueueDelay.TotalSeconds * Stopwatch.Frequency);
                await FillAsync(batch, deadline, stoppingToken);
                if (batch.Count > 0)
                {
                    Run(batch);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    async Task FillAsync(List<Pending> batch, long deadline, CancellationToken stoppingToken)
    {
        while (batch.Count < _options.MaxBatchSize)
        {
            if (_queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
                continue;
            }

            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            // Wait for more requests, but never past the first request's deadline. Timers tick in whole
            // milliseconds and would truncate a shorter wait to none, so the wait is rounded up.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(TimeSpan.FromMilliseconds(Math.Ceiling(remaining.TotalMilliseconds)));
            try
            {
                if (!await _queue.Reader.WaitToReadAsync(timeout.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    static void Run(List<Pending> batch)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var pending in batch)
        {
            InferenceTelemetry.QueueDelay.Record(Stopwatch.GetElapsedTime(pending.Enqueued, started).TotalMilliseconds, InferenceTelemetry.VersionTags(pending.Model));
        }

        // A hot swap can leave requests for two versions in one batch; each runs with the model it leased.
        foreach (var group in batch.GroupBy(p => p.Model))
        {
            RunGroup(group.Key, group.ToList());
        }
    }

    static void RunGroup(LoadedModel model, List<Pending> group)
    {
        var width = model.Features.Count;
        var count = group.Count;
        var rows = ArrayPool<float>.Shared.Rent(count * width);
        var results = ArrayPool<double>.Shared.Rent(count * 2);
        try
        {
            for (var i = 0; i < count; i++)
            {
                group[i].Row.CopyTo(rows, i * width);
            }

            model.Score(rows.AsMemory(0, count * width), count, results.AsSpan(0, count), results.AsSpan(count, count));
            InferenceTelemetry.BatchSize.Record(count, InferenceTelemetry.VersionTags(model));
            for (var i = 0; i < count; i++)
            {
                group[i].Completion.TrySetResult((results[i], results[count + i]));
            }
        }
        catch (Exception ex)
        {
            foreach (var pending in group)
            {
                pending.Completion.TrySetException(ex);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
            ArrayPool<double>.Shared.Return(results);
        }
    }

    sealed record Pending(LoadedModel Model, float[] Row, long Enqueued)
    {
        public TaskCompletionSource<(double, double)> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
