using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mlops.Messaging.Sagas;

/// <summary>
/// Persisted saga timers: no broker-side scheduler is available here, so a saga keeps its due time in its state and
/// this sweeper publishes the due signal every <see cref="Interval"/> for each waiting instance whose time has come.
/// A restart loses no timer, and every replica may sweep: a saga takes a given signal once.
/// </summary>
public abstract class SagaTimerSweeper<TState>(IServiceScopeFactory scopes, TimeProvider time, ILogger logger) : BackgroundService
    where TState : class, ISaga
{
    /// <summary>How often the sweep runs; a due signal is published at most this late.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>The instances that may be due (e.g. those in the waiting state).</summary>
    protected abstract ISagaQuery<TState> Waiting { get; }

    /// <summary>The message to publish for <paramref name="instance"/> at <paramref name="now"/>, or null when it is not due.</summary>
    protected abstract object? DueSignal(TState instance, DateTimeOffset now);

    /// <summary>Called after a due signal was published (metrics).</summary>
    protected virtual void Published(TState instance)
    {
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(time.GetUtcNow(), stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The database or broker is away: the next tick tries again.
                logger.LogWarning(e, "{Sweeper} sweep failed", GetType().Name);
            }
        }
    }

    /// <summary>Publishes the due signal of every instance due at <paramref name="now"/>; returns their ids.</summary>
    public async Task<IReadOnlyList<Guid>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var query = scope.ServiceProvider.GetRequiredService<IQuerySagaRepository<TState>>();
        var load = scope.ServiceProvider.GetRequiredService<ILoadSagaRepository<TState>>();
        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        var due = new List<Guid>();
        foreach (var id in await query.Find(Waiting))
        {
            // Loaded again: the instance may have moved on since the query.
            if (await load.Load(id) is { } instance && DueSignal(instance, now) is { } signal)
            {
                await publish.Publish(signal, signal.GetType(), cancellationToken);
                due.Add(id);
                Published(instance);
            }
        }

        return due;
    }
}
