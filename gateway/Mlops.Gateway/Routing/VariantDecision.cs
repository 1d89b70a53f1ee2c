using Mlops.Contracts.Registry;

namespace Mlops.Gateway.Routing;

/// <summary>How a request's variant was chosen (a metric tag and the reason in traces).</summary>
public enum VariantSource
{
    /// <summary>The gateway knows no deployment of the model: forwarded without a variant header.</summary>
    NoDeployment,

    /// <summary>The client named the variant (<c>X-Model-Variant</c>).</summary>
    Header,

    /// <summary>The entity's stable bucket.</summary>
    Entity,

    /// <summary>No entity in the request: the champion.</summary>
    NoEntity,
}

/// <summary>The variant a request goes to, and the shadow route it is mirrored to (null: not mirrored).</summary>
public sealed record VariantDecision(string ModelName, string? Variant, VariantSource Source, TrafficRoute? Route, TrafficRoute? Mirror);
