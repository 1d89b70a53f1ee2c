using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Contracts;
using Mlops.EventStore.Outbox;

namespace Mlops.EventStore;

/// <summary>
/// Maps stored event type names to CLR types and back, so a class can be moved or renamed without touching
/// stored events, and upgrades payloads written under an old name to the current shape on read.
/// </summary>
public sealed class EventTypeRegistry
{
    readonly ConcurrentDictionary<string, Type> _types = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<Type, string> _names = new();
    readonly ConcurrentDictionary<Type, OutboxTransports> _published = new();
    readonly ConcurrentDictionary<string, (string To, Func<JsonObject, JsonObject> Upgrade)> _upcasters = new(StringComparer.Ordinal);

    /// <summary>Serializer settings for payloads and metadata.</summary>
    public static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Registers <typeparamref name="T"/> under <paramref name="name"/> (default: its <see cref="EventTypeAttribute"/>).
    /// With <paramref name="publish"/>, every append of it also writes an outbox row, so it leaves the service
    /// through the bus (<see cref="OutboxTransports.Bus"/>).
    /// </summary>
    public EventTypeRegistry Register<T>(string? name = null, bool publish = false) => Register(typeof(T), name, publish);

    /// <summary>
    /// Registers <typeparamref name="T"/> so that every append of it writes an outbox row that is published by each
    /// of <paramref name="publishTo"/> (e.g. <c>OutboxTransports.Bus | OutboxTransports.Kafka</c>).
    /// </summary>
    public EventTypeRegistry Register<T>(OutboxTransports publishTo, string? name = null) => Register(typeof(T), publishTo, name);

    /// <summary>Non-generic form of <see cref="Register{T}(string?, bool)"/>.</summary>
    public EventTypeRegistry Register(Type type, string? name = null, bool publish = false) =>
        Register(type, publish ? OutboxTransports.Bus : OutboxTransports.None, name);

    /// <summary>Non-generic form of <see cref="Register{T}(OutboxTransports, string?)"/>.</summary>
    public EventTypeRegistry Register(Type type, OutboxTransports publishTo, string? name = null)
    {
        name ??= type.GetCustomAttribute<EventTypeAttribute>()?.Name
            ?? throw new InvalidOperationException($"{type} has no [EventType] and no name was given.");
        if (_types.TryGetValue(name, out var existing) && existing != type)
        {
            throw new InvalidOperationException($"Event type name '{name}' is already registered for {existing}.");
        }

        _types[name] = type;
        _names[type] = name;
        _published[type] = publishTo;
        return this;
    }

    /// <summary>
    /// Declares that events stored as <paramref name="fromName"/> are read as <paramref name="toName"/> after
    /// <paramref name="upgrade"/> rewrote their payload. Chains (v1 → v2 → v3) are followed.
    /// </summary>
    public EventTypeRegistry Upcast(string fromName, string toName, Func<JsonObject, JsonObject> upgrade)
    {
        _upcasters[fromName] = (toName, upgrade);
        return this;
    }

    /// <summary>The stored name of a registered type.</summary>
    public string NameOf(Type type) =>
        _names.TryGetValue(type, out var name) ? name : throw new InvalidOperationException($"{type} is not a registered event type.");

    /// <summary>Whether events of <paramref name="type"/> go through the outbox.</summary>
    public bool IsPublished(Type type) => TransportsOf(type) != OutboxTransports.None;

    /// <summary>The brokers events of <paramref name="type"/> are published to (none for unregistered types).</summary>
    public OutboxTransports TransportsOf(Type type) => _published.TryGetValue(type, out var transports) ? transports : OutboxTransports.None;

    /// <summary>Serializes a payload for storage.</summary>
    public string Serialize(object data) => JsonSerializer.Serialize(data, data.GetType(), SerializerOptions);

    /// <summary>Reads a stored payload: follows upcasters from the stored name, then deserializes to the current type.</summary>
    public (string Name, object Data) Deserialize(string storedName, string json)
    {
        var name = storedName;
        JsonObject? node = null;
        for (var hops = 0; _upcasters.TryGetValue(name, out var upcaster); hops++)
        {
            if (hops > 32)
            {
                throw new InvalidOperationException($"Upcaster chain from '{storedName}' does not end.");
            }

            node ??= JsonNode.Parse(json)?.AsObject() ?? throw new InvalidOperationException($"Event '{storedName}' has no payload.");
            node = upcaster.Upgrade(node);
            name = upcaster.To;
        }

        if (!_types.TryGetValue(name, out var type))
        {
            throw new InvalidOperationException($"Stored event type '{name}' is not registered.");
        }

        var data = node is null ? JsonSerializer.Deserialize(json, type, SerializerOptions) : node.Deserialize(type, SerializerOptions);
        return (name, data ?? throw new InvalidOperationException($"Event '{storedName}' deserialized to null."));
    }
}
