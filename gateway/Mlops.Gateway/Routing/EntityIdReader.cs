using System.Text.Json;

namespace Mlops.Gateway.Routing;

/// <summary>Finds the entity id in a buffered JSON request body.</summary>
public static class EntityIdReader
{
    /// <summary>
    /// <c>entityId</c> (the service's JSON, matched case-insensitively like its binder) or <c>parameters.entity_id</c>
    /// (Open Inference Protocol); null when absent, not a string or number, or the body is not JSON — the pod then
    /// answers the body's problems itself.
    /// </summary>
    public static string? Read(ReadOnlyMemory<byte> body, InferenceProtocol protocol)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return protocol == InferenceProtocol.OpenInference
                ? Property(document.RootElement, "parameters") is { ValueKind: JsonValueKind.Object } parameters ? Text(Property(parameters, "entity_id")) : null
                : Text(Property(document.RootElement, "entityId"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    static string? Text(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.String } s when !string.IsNullOrWhiteSpace(s.GetString()) => s.GetString(),
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        _ => null,
    };
}
