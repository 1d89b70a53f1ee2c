namespace Mlops.Contracts.Registry;

/// <summary>One named input or output of a model.</summary>
public sealed record FeatureSpec
{
    /// <summary>Feature or output name (e.g. <c>heart_rate_mean_1h</c>, <c>probability</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Element type (e.g. <c>float32</c>).</summary>
    public required string Type { get; init; }

    /// <summary>Tensor shape; -1 marks a dynamic dimension (the batch).</summary>
    public IReadOnlyList<long> Shape { get; init; } = [];
}

/// <summary>What a model takes and returns, with feature names in input order.</summary>
public sealed record ModelSignature
{
    /// <summary>Inputs in the order the model expects them.</summary>
    public required IReadOnlyList<FeatureSpec> Inputs { get; init; }

    /// <summary>Outputs.</summary>
    public required IReadOnlyList<FeatureSpec> Outputs { get; init; }
}
