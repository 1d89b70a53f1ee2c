using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mlops.Inference.Protocols;

// The Open Inference Protocol (KServe v2) REST payloads this service speaks; field names are the protocol's.

/// <summary>A v2 inference request.</summary>
public sealed record OipInferenceRequest
{
    public string? Id { get; init; }

    public List<OipRequestInput>? Inputs { get; init; }

    public List<OipRequestOutput>? Outputs { get; init; }
}

/// <summary>One input tensor; <see cref="Data"/> is row-major, flat or nested.</summary>
public sealed record OipRequestInput
{
    public string? Name { get; init; }

    public List<long>? Shape { get; init; }

    public string? Datatype { get; init; }

    public JsonElement Data { get; init; }
}

/// <summary>An output the client asks for (all when none are named).</summary>
public sealed record OipRequestOutput
{
    public string? Name { get; init; }
}

/// <summary>A v2 inference response.</summary>
public sealed record OipInferenceResponse
{
    [JsonPropertyName("model_name")]
    public required string ModelName { get; init; }

    [JsonPropertyName("model_version")]
    public required string ModelVersion { get; init; }

    [JsonPropertyName("id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Id { get; init; }

    /// <summary><c>prediction_ids</c> (one GUID v7 per row) and <c>variant</c> (the alias that answered).</summary>
    [JsonPropertyName("parameters")]
    public required Dictionary<string, object> Parameters { get; init; }

    [JsonPropertyName("outputs")]
    public required List<OipTensor> Outputs { get; init; }
}

/// <summary>A tensor in a response: name, shape, datatype and row-major data.</summary>
public sealed record OipTensor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("data")] IReadOnlyList<double> Data);

/// <summary>A tensor in model metadata (shape -1 for a dynamic dimension).</summary>
public sealed record OipTensorMetadata(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape);

/// <summary>v2 model metadata.</summary>
public sealed record OipModelMetadata(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("versions")] IReadOnlyList<string> Versions,
    [property: JsonPropertyName("platform")] string Platform,
    [property: JsonPropertyName("inputs")] IReadOnlyList<OipTensorMetadata> Inputs,
    [property: JsonPropertyName("outputs")] IReadOnlyList<OipTensorMetadata> Outputs);

/// <summary>The protocol's error shape.</summary>
public sealed record OipError([property: JsonPropertyName("error")] string Error);

/// <summary>Liveness / readiness answers.</summary>
public sealed record OipLive([property: JsonPropertyName("live")] bool Live);

public sealed record OipReady([property: JsonPropertyName("ready")] bool Ready);

public sealed record OipModelReady([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("ready")] bool Ready);
