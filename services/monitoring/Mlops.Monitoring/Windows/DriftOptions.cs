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

    /// <summary>
    /// Window settings of particular models over the service-wide ones, by model name (compared exactly, as the
    /// predictions' model names are). A changed setting applies from a model's next window; closed windows stay.
    /// </summary>
    public Dictionary<string, DriftModelOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The settings in force for a model: each value it sets, else the service-wide one.</summary>
    public DriftWindowSettings For(string? model)
    {
        var own = model is not null ? Models.GetValueOrDefault(model) : null;
        return new(own?.WindowSize ?? WindowSize, own?.WindowDuration ?? WindowDuration, own?.MinWindowSamples ?? MinWindowSamples,
            own?.DatasetDriftShare ?? DatasetDriftShare);
    }

    /// <summary>Whether any model has count windows (the service-wide size may be 0 while a model sets its own).</summary>
    public bool AnyCountWindows => WindowSize > 0 || Models.Keys.Any(m => For(m).WindowSize > 0);

    /// <summary>Whether any model has time windows.</summary>
    public bool AnyTimeWindows => WindowDuration > TimeSpan.Zero || Models.Keys.Any(m => For(m).WindowDuration > TimeSpan.Zero);

    /// <summary>What is wrong with one model's settings, naming the setting, or null.</summary>
    public string? ModelProblem(string model)
    {
        var own = Models.GetValueOrDefault(model);
        var prefix = $"{Section}:Models:{model}";
        var effective = For(model);
        return own switch
        {
            { WindowSize: < 0 or > 1_000_000 } => $"{prefix}:WindowSize must lie within 0–1,000,000 (0 turns the model's count windows off), not {own.WindowSize}",
            { WindowDuration: { } duration } when duration < TimeSpan.Zero => $"{prefix}:WindowDuration must not be negative (00:00:00 turns the model's time windows off), not {duration}",
            { MinWindowSamples: < 1 or > 1_000_000 } => $"{prefix}:MinWindowSamples must lie within 1–1,000,000, not {own.MinWindowSamples}",
            { DatasetDriftShare: { } share } when share is not (>= 0 and <= 1) => $"{prefix}:DatasetDriftShare must lie within 0–1, not {share}",
            _ when effective.WindowSize == 0 && effective.WindowDuration <= TimeSpan.Zero =>
                $"{prefix} turns off both count windows (WindowSize 0) and time windows (WindowDuration 0): the model's drift would never be judged",
            // A count window smaller than the minimum would be recorded with no feature judged, every time.
            _ when effective.WindowSize > 0 && effective.WindowSize < effective.MinWindowSamples =>
                $"{prefix}:WindowSize {effective.WindowSize} is below MinWindowSamples {effective.MinWindowSamples}: its count windows would hold too few predictions to judge",
            _ => null,
        };
    }

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
        else if (Models.Keys.Select(ModelProblem).FirstOrDefault(p => p is not null) is { } modelProblem)
        {
            problem = modelProblem;
        }

        return problem is null;
    }
}
