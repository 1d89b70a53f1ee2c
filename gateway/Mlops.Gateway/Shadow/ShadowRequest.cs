using Mlops.Contracts.Registry;

namespace Mlops.Gateway.Shadow;

/// <summary>
/// One mirrored request waiting in the queue: the primary request as buffered (method, path, headers, body) and the
/// primary's answer, which the shadow's answer will be compared with.
/// </summary>
public sealed record ShadowRequest
{
    public required string ModelName { get; init; }

    public required TrafficRoute Shadow { get; init; }

    public required string PrimaryVariant { get; init; }

    public required string Method { get; init; }

    public required string Host { get; init; }

    public required string Path { get; init; }

    public required string QueryString { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string?[]>> Headers { get; init; }

    public required ReadOnlyMemory<byte> Body { get; init; }

    public required byte[]? PrimaryAnswer { get; init; }

    public required string? PrimaryVersionHeader { get; init; }

    public required double PrimaryLatencyMs { get; init; }
}
