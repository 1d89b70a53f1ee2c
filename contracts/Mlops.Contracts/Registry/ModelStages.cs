namespace Mlops.Contracts.Registry;

/// <summary>Lifecycle stages of a model version (governance); aliases are the deployment handle.</summary>
public static class ModelStages
{
    /// <summary>Registered, not yet in use.</summary>
    public const string Development = "Development";

    /// <summary>Serving a share of traffic or under evaluation (e.g. the challenger).</summary>
    public const string Staging = "Staging";

    /// <summary>Serving as the champion.</summary>
    public const string Production = "Production";

    /// <summary>Retired; can no longer be promoted.</summary>
    public const string Archived = "Archived";
}

/// <summary>Well-known alias names.</summary>
public static class ModelAliases
{
    /// <summary>The version serving most traffic.</summary>
    public const string Champion = "champion";

    /// <summary>The version serving the canary share.</summary>
    public const string Challenger = "challenger";

    /// <summary>The version receiving mirrored requests only (its answers are compared, never returned).</summary>
    public const string Shadow = "shadow";
}
