namespace Mlops.Monitoring.Windows;

/// <summary>
/// One model's window settings (<c>Monitoring:Drift:Models:{model}</c>); a value left out (null) is the service-wide
/// one in <see cref="DriftOptions"/>. Traffic differs by orders of magnitude between models: a low-traffic model needs
/// smaller or shorter windows to be judged within a rollout's analysis, a high-traffic one may want larger windows.
/// </summary>
public sealed class DriftModelOptions
{
    /// <summary>Predictions per count window of each of the model's versions and variants; 0 turns its count windows off.</summary>
    public int? WindowSize { get; set; }

    /// <summary>Length of the model's time windows (aligned to the Unix epoch); zero turns them off.</summary>
    public TimeSpan? WindowDuration { get; set; }

    /// <summary>A window of the model with fewer predictions (a feature with fewer values) is recorded but not judged.</summary>
    public int? MinWindowSamples { get; set; }

    /// <summary>Dataset drift when at least this share of the model's features drifted.</summary>
    public double? DatasetDriftShare { get; set; }
}
