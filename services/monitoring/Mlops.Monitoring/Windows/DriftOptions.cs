using System.ComponentModel.DataAnnotations;

namespace Mlops.Monitoring.Windows;

/// <summary>How production data is cut into windows and judged (section <c>Monitoring:Drift</c>).</summary>
public sealed class DriftOptions
{
    public const string Section = "Monitoring:Drift";

    /// <summary>
    /// Predictions per tumbling count window of one version and variant; 0 turns count windows off. 2,000 because Evidently's
    /// distance thresholds (0.1) flag about 7 % of undrifted features by chance in windows of 500, under 0.1 % at 2,000
    /// (docs/monitoring.md).
    /// </summary>
    [Range(0, 1_000_000)]
    public int WindowSize { get; set; } = 2000;

    /// <summary>Length of tumbling time windows (aligned to the Unix epoch, by prediction time); zero turns them off.</summary>
    public TimeSpan WindowDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long after a time window's end it is still filled before it is judged (late predictions).</summary>
    public TimeSpan Lateness { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a prediction waits for its feature vector (other topic) before it counts without one; also how long a
    /// time window must have received nothing before it is judged.
    /// </summary>
    public TimeSpan JoinTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A window with fewer predictions is recorded but not judged.</summary>
    [Range(1, 1_000_000)]
    public int MinWindowSamples { get; set; } = 30;

    /// <summary>How often windows are closed and judged.</summary>
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A feature already reported as drifted for a version and variant is not reported again within this period.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Dataset drift when at least this share of the features drifted (Evidently: 0.5).</summary>
    [Range(0.0, 1.0)]
    public double DatasetDriftShare { get; set; } = 0.5;

    /// <summary>
    /// How long after its end a window of a version without a reference profile waits for one (the profile comes
    /// with the registration, so normally before any prediction). After that the window is recorded without a verdict:
    /// otherwise its predictions would be read again every round until the retention dropped them.
    /// </summary>
    public TimeSpan ProfileWait { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Feature vectors and predictions are kept this long for joining and windowing.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Per-feature method and threshold overrides, by feature name (<c>prediction</c> for the model output).</summary>
    public Dictionary<string, FeatureDriftOverride> Features { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Problems with the settings, for <c>Validate</c>.</summary>
    public bool IsValid(out string? problem)
    {
        problem = null;
        if (WindowSize == 0 && WindowDuration <= TimeSpan.Zero)
        {
            problem = "Monitoring:Drift needs WindowSize > 0 or a positive WindowDuration";
        }
        else if (ProfileWait < TimeSpan.Zero)
        {
            problem = "Monitoring:Drift:ProfileWait must not be negative";
        }
        else if (EvaluationInterval <= TimeSpan.Zero)
        {
            problem = "Monitoring:Drift:EvaluationInterval must be positive";
        }
        else if (Features.FirstOrDefault(f => !f.Value.IsValid()) is { Key: not null } bad)
        {
            problem = $"Monitoring:Drift:Features:{bad.Key}: unknown method '{bad.Value.Method}' (ks, chisquare, z, wasserstein, jensenshannon, psi)";
        }

        return problem is null;
    }
}
