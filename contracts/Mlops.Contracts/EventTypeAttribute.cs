namespace Mlops.Contracts;

/// <summary>
/// Names the versioned event type a payload is published as (the envelope's <c>type</c>), so the wire
/// name never changes when a CLR type is moved or renamed.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class EventTypeAttribute(string name) : Attribute
{
    /// <summary>The wire name, e.g. <c>mlops.observation.accepted.v1</c>.</summary>
    public string Name { get; } = name;
}
