namespace Mlops.Ingestion.Tests;

/// <summary>Builds observation JSON bodies as an upstream system would send them.</summary>
internal static class Observations
{
    public static Dictionary<string, object?> Valid(string? id = null, string entity = "patient-1", string code = "heart_rate", object? value = null, string? unit = "/min", DateTimeOffset? at = null) => new()
    {
        ["observationId"] = id ?? "obs-" + Guid.NewGuid().ToString("N"),
        ["entityId"] = entity,
        ["code"] = code,
        ["value"] = value ?? 92,
        ["unit"] = unit,
        ["eventTime"] = at ?? DateTimeOffset.UtcNow.AddMinutes(-1),
        ["sourceSystem"] = "ward-7",
    };
}
