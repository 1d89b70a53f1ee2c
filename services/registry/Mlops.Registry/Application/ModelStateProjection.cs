using JasperFx.Events;
using Marten.Events.Aggregation;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Application;

/// <summary>
/// The model's state as a Marten document, kept inline (in the append's transaction) by applying each event with
/// the domain's own <see cref="ModelState.When"/>. Registered for <see cref="ModelState"/>, it is also what
/// <c>AggregateStreamAsync&lt;ModelState&gt;</c> uses for "as of a time or revision", so a live replay and the stored
/// snapshot are built by the same code.
/// </summary>
public sealed class ModelStateProjection : SingleStreamProjection<ModelState, string>
{
    public override ModelState Evolve(ModelState? snapshot, string id, IEvent e)
    {
        snapshot ??= new ModelState { Name = id };
        snapshot.When(StoredEvents.ToRecorded(e));
        return snapshot;
    }
}
