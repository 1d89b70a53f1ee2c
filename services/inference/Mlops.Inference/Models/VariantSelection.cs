namespace Mlops.Inference.Models;

/// <summary>Which host answers a request, or why none in this pod does.</summary>
public sealed record VariantSelection
{
    public ModelHost? Host { get; private init; }

    /// <summary>The variant that cannot answer here (named by the caller or assigned to the entity).</summary>
    public string? Variant { get; private init; }

    public VariantSelectionOutcome Outcome { get; private init; }

    /// <summary>Why the variant cannot answer here.</summary>
    public string? Reason { get; private init; }

    public static VariantSelection UnknownModel { get; } = new() { Outcome = VariantSelectionOutcome.UnknownModel };

    public static VariantSelection Of(ModelHost host) => new() { Host = host, Variant = host.Variant, Outcome = VariantSelectionOutcome.Selected };

    public static VariantSelection NotHere(string variant, string reason) =>
        new() { Variant = variant, Outcome = VariantSelectionOutcome.VariantNotServed, Reason = reason };

    public static VariantSelection AssignedElsewhere(string variant) => new()
    {
        Variant = variant, Outcome = VariantSelectionOutcome.AssignedElsewhere,
        Reason = "the entity is assigned to a variant this pod does not serve (Inference:Variants); send X-Model-Variant or go through the gateway",
    };
}

public enum VariantSelectionOutcome
{
    Selected,

    /// <summary>The model has no version in this pod.</summary>
    UnknownModel,

    /// <summary>The named variant is not loaded here (404).</summary>
    VariantNotServed,

    /// <summary>The entity belongs to a variant another pod serves (409).</summary>
    AssignedElsewhere,
}
