using System.Linq.Expressions;
using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// Starts due analyses: every <see cref="RolloutOptions.SweepInterval"/> it publishes <see cref="RolloutAnalysisDue"/>
/// for each progressing rollout whose persisted due time has passed (the mechanism of training's registration
/// timeout; no broker-side scheduler is available here). A restart loses no timer; every replica may sweep, as the
/// saga takes a given analysis number once.
/// </summary>
public sealed class RolloutAnalysisSweeper(
    IServiceScopeFactory scopes, IOptions<RolloutOptions> options, TimeProvider time, ILogger<RolloutAnalysisSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(time.GetUtcNow(), stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The database or broker is away: the next tick tries again.
                logger.LogWarning(e, "Rollout analysis sweep failed");
            }
        }
    }

    /// <summary>Publishes a due signal for every progressing rollout due at <paramref name="now"/>; returns their ids.</summary>
    public async Task<IReadOnlyList<Guid>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var query = scope.ServiceProvider.GetRequiredService<IQuerySagaRepository<RolloutState>>();
        var load = scope.ServiceProvider.GetRequiredService<ILoadSagaRepository<RolloutState>>();
        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        const string progressing = nameof(RolloutStateMachine.Progressing);
        var due = new List<Guid>();
        foreach (var id in await query.Find(new StateQuery(progressing)))
        {
            var rollout = await load.Load(id);
            if (rollout is { CurrentState: progressing, AnalysisDueAt: { } at } && at <= now)
            {
                await publish.Publish(new RolloutAnalysisDue { RolloutId = id, Step = rollout.StepIndex, Analysis = rollout.AnalysisCount + 1 }, cancellationToken);
                due.Add(id);
            }
        }

        return due;
    }

    /// <summary>Instances in one state (the repository turns the equality into an indexed JSONB containment).</summary>
    internal sealed class StateQuery(string state) : ISagaQuery<RolloutState>
    {
        public Expression<Func<RolloutState, bool>> FilterExpression { get; } = s => s.CurrentState == state;

        public Func<RolloutState, bool> GetFilter() => FilterExpression.Compile();
    }
}
