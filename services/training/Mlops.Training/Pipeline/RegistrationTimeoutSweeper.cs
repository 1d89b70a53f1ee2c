using System.Linq.Expressions;
using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Training;

namespace Mlops.Training.Pipeline;

/// <summary>
/// Fails runs the registry never answered: every <see cref="RegistrationOptions.SweepInterval"/> it publishes
/// <see cref="TrainingRegistrationTimedOut"/> for each run waiting longer than the confirmation timeout. The wait
/// starts from the time persisted in the saga (no broker-side scheduler is available here), so a restart of the
/// service, or a run that started on another replica, loses nothing; every replica may sweep, as the saga ignores a
/// second timeout once the run has failed.
/// </summary>
public sealed class RegistrationTimeoutSweeper(
    IServiceScopeFactory scopes, IOptions<RegistrationOptions> options, TimeProvider time, ILogger<RegistrationTimeoutSweeper> logger) : BackgroundService
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
                logger.LogWarning(e, "Registration timeout sweep failed");
            }
        }
    }

    /// <summary>Publishes a timeout for every run waiting for the registry since before <paramref name="now"/> minus the timeout; returns their ids.</summary>
    public async Task<IReadOnlyList<Guid>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var query = scope.ServiceProvider.GetRequiredService<IQuerySagaRepository<TrainingRunState>>();
        var load = scope.ServiceProvider.GetRequiredService<ILoadSagaRepository<TrainingRunState>>();
        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        var timeout = options.Value.ConfirmationTimeout;
        const string awaiting = nameof(TrainingRunStateMachine.AwaitingRegistration);
        var expired = new List<Guid>();
        foreach (var id in await query.Find(new StateQuery(awaiting)))
        {
            var run = await load.Load(id);
            if (run is { CurrentState: awaiting, RegistrationSentAt: { } sentAt } && now - sentAt >= timeout)
            {
                await publish.Publish(new TrainingRegistrationTimedOut { RunId = id, Waited = now - sentAt }, cancellationToken);
                expired.Add(id);
                TrainingMetrics.RegistrationTimeouts.Add(1);
            }
        }

        return expired;
    }

    /// <summary>Instances in one state (the repository turns the equality into an indexed JSONB containment).</summary>
    sealed class StateQuery(string state) : ISagaQuery<TrainingRunState>
    {
        public Expression<Func<TrainingRunState, bool>> FilterExpression { get; } = s => s.CurrentState == state;

        public Func<TrainingRunState, bool> GetFilter() => FilterExpression.Compile();
    }
}
