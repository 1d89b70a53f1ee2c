using System.Reflection;
using JasperFx;
using Marten;
using Mlops.Contracts;
using Mlops.Contracts.Registry;
using Mlops.Registry.Application;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// Records rollout events in the model's registry stream, beside its promotions and deployments, so the model's
/// history shows every step, analysis (with its measurements) and outcome. Stored under their contract names; not
/// republished by the registry's publisher (the saga already published them), and ignored by the model's state.
/// </summary>
public sealed class RolloutHistory(IDocumentStore store, ModelStreamLocks locks)
{
    public static readonly IReadOnlyList<Type> EventTypes =
    [
        typeof(RolloutStepStarted), typeof(RolloutStepAnalysed), typeof(RolloutPaused), typeof(RolloutRolledBack), typeof(RolloutAborted), typeof(RolloutPromoted),
    ];

    /// <summary>Maps every rollout event type to its contract name in Marten's event graph.</summary>
    public static void Map(StoreOptions options)
    {
        foreach (var type in EventTypes)
        {
            options.Events.MapEventType(type, type.GetCustomAttribute<EventTypeAttribute>()!.Name);
        }
    }

    /// <summary>
    /// Appends <paramref name="e"/> unless the stream already holds the same event (type, rollout, step, analysis):
    /// a redelivered message records nothing twice. Writers in this process take turns per model; an append racing
    /// another replica's throws <see cref="ConcurrencyConflictException"/>, which the consumer's retry answers.
    /// </summary>
    public async Task<bool> RecordAsync(IRolloutEvent e, string reason, CancellationToken cancellationToken)
    {
        var stream = ModelRegistry.StreamOf(e.ModelName);
        using var writer = await locks.EnterAsync(e.ModelName, cancellationToken);
        await using var session = store.LightweightSession();
        var existing = await session.Events.FetchStreamAsync(stream, token: cancellationToken);
        if (existing.Count == 0)
        {
            // A rollout only starts on a registered model; nothing to attach the event to.
            return false;
        }

        if (existing.Any(x => x.Data is IRolloutEvent r && x.Data.GetType() == e.GetType() && r.RolloutId == e.RolloutId && r.Step == e.Step && r.Analysis == e.Analysis))
        {
            return false;
        }

        session.SetHeader(StoredEvents.ActorHeader, RolloutStateMachine.Actor);
        session.SetHeader(StoredEvents.ReasonHeader, reason);
        var version = existing[^1].Version;
        session.Events.Append(stream, version + 1, e);
        try
        {
            await session.SaveChangesAsync(cancellationToken);
        }
        catch (ConcurrencyException ex)
        {
            throw new ConcurrencyConflictException(stream, version, version + 1, ex);
        }

        return true;
    }
}
