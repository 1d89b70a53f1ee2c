namespace Mlops.Gateway.Routing;

/// <summary>The router's decision for a request, with the buffered body when it was read (for a mirror).</summary>
public sealed record VariantFeature(VariantDecision Decision, string? EntityId, ReadOnlyMemory<byte>? Body);
