namespace Mlops.ServiceDefaults.Health;

/// <summary>Tags that decide which endpoint runs a health check.</summary>
public static class HealthTags
{
    /// <summary>The process is running and not wedged: <c>/health/live</c>.</summary>
    public const string Live = "live";

    /// <summary>The process can serve: its real dependencies answer. <c>/health/ready</c>.</summary>
    public const string Ready = "ready";
}
