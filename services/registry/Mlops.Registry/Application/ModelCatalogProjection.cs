using JasperFx.Events;
using Marten.Events.Aggregation;
using Mlops.Contracts.Registry;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Application;

/// <summary>One small row per model for the list endpoint, written inline in the append's transaction (never behind the events).</summary>
public sealed class ModelCatalogEntry
{
    /// <summary>The model name, which is also its stream key and the document id.</summary>
    public string Name { get; set; } = "";

    public long Revision { get; set; }

    public string? Champion { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Keeps <see cref="ModelCatalogEntry"/>: the revision, the champion alias and the time of the last change.</summary>
public sealed class ModelCatalogProjection : SingleStreamProjection<ModelCatalogEntry, string>
{
    public override ModelCatalogEntry Evolve(ModelCatalogEntry? snapshot, string id, IEvent e)
    {
        snapshot ??= new ModelCatalogEntry { Name = id };
        snapshot.Revision = e.Version;
        snapshot.UpdatedAt = StoredEvents.Microseconds(e.Timestamp);
        if (e.Data is AliasAssigned { Alias: ModelAliases.Champion } assigned)
        {
            snapshot.Champion = assigned.Version;
        }

        return snapshot;
    }
}

public sealed record ModelSummary(string Name, long Revision, string? Champion, DateTimeOffset UpdatedAt);
