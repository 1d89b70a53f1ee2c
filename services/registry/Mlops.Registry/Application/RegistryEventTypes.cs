using System.Reflection;
using Marten;
using Mlops.Contracts;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Application;

/// <summary>
/// The registry's stored event types and their stored names. Names come from the contracts' <c>[EventType]</c>
/// attribute and are mapped into Marten, so a stored event never carries a CLR name and a class can move or be
/// renamed without touching history. Every one is also published (gateway, inference pods, audit consumers).
/// </summary>
public static class RegistryEventTypes
{
    public static readonly IReadOnlyList<Type> All =
    [
        typeof(ModelVersionRegistered), typeof(PromotionRequested), typeof(PromotionApproved), typeof(PromotionRejected),
        typeof(AliasAssigned), typeof(StageChanged), typeof(VersionArchived), typeof(DeploymentChanged), typeof(RolledBack),
        typeof(PromotionPolicyChanged), typeof(TrafficSplitChanged),
    ];

    static readonly Dictionary<Type, string> Names = All.ToDictionary(
        t => t,
        t => t.GetCustomAttribute<EventTypeAttribute>()?.Name ?? throw new InvalidOperationException($"{t} has no [EventType]."));

    /// <summary>The stored name of a registry event type.</summary>
    public static string NameOf(Type type) =>
        Names.TryGetValue(type, out var name) ? name : throw new InvalidOperationException($"{type} is not a registry event type.");

    /// <summary>Maps every type to its contract name in Marten's event graph.</summary>
    public static void Map(StoreOptions options)
    {
        foreach (var (type, name) in Names)
        {
            options.Events.MapEventType(type, name);
        }
    }
}
