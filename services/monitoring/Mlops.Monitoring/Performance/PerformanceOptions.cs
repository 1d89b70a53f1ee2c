using System.ComponentModel.DataAnnotations;

namespace Mlops.Monitoring.Performance;

/// <summary>How delayed outcomes are joined to predictions and windows of them scored (section <c>Monitoring:Performance</c>).</summary>
public sealed class PerformanceOptions
{
    public const string Section = "Monitoring:Performance";

    /// <summary>Length of the tumbling windows of prediction time that are scored (aligned to the Unix epoch).</summary>
    public TimeSpan WindowDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Horizon of a model not listed in <see cref="Models"/>.</summary>
    public TimeSpan DefaultHorizon { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long after a window's end plus the model's horizon outcomes may still arrive before it is scored.</summary>
    public TimeSpan LabelLateness { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A window is scored only once no outcome has been joined into it for this long (a replay has finished).</summary>
    public TimeSpan Quiet { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A label that arrives is matched again each round for this long, for predictions that reach monitoring after it.</summary>
    public TimeSpan RejoinPeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Fewer labelled predictions than this (or only one class) gives a window without scores.</summary>
    [Range(2, 1_000_000)]
    public int MinLabeled { get; set; } = 100;

    /// <summary><c>PerformanceDegraded</c> when a window's AUROC is below the baseline by more than this.</summary>
    [Range(0.0, 1.0)]
    public double AurocMargin { get; set; } = 0.05;

    /// <summary>A version and variant already reported as degraded is not reported again within this period.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromHours(6);

    /// <summary>How often outcomes are joined and windows scored.</summary>
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Per model: the label it predicts and its horizon.</summary>
    public Dictionary<string, ModelOutcomeOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The model's horizon.</summary>
    public TimeSpan HorizonOf(string model) => Models.TryGetValue(model, out var m) && m.Horizon is { } h ? h : DefaultHorizon;

    /// <summary>A model's settings with every value it leaves unset taken from the service-wide ones.</summary>
    public ModelOutcomeOptions Resolve(ModelOutcomeOptions? model) => new()
    {
        Label = model?.Label,
        Horizon = model?.Horizon ?? DefaultHorizon,
        WindowDuration = model?.WindowDuration ?? WindowDuration,
        LabelLateness = model?.LabelLateness ?? LabelLateness,
        MinLabeled = model?.MinLabeled ?? MinLabeled,
    };

    /// <summary>Why one model's settings cannot be used (with the service's retention), or null.</summary>
    public string? ModelProblem(ModelOutcomeOptions model, TimeSpan retention)
    {
        var resolved = Resolve(model);
        if (resolved.Horizon <= TimeSpan.Zero || resolved.WindowDuration < TimeSpan.FromSeconds(1) || resolved.LabelLateness < TimeSpan.Zero)
        {
            return "horizon must be positive, windowDuration at least one second and labelLateness not negative";
        }

        if (resolved.MinLabeled is < 2 or > 1_000_000)
        {
            return "minLabeled must be within 2–1,000,000";
        }

        return resolved.Horizon + resolved.WindowDuration + resolved.LabelLateness >= retention
            ? $"horizon + windowDuration + labelLateness must be shorter than the retention of predictions ({retention})"
            : null;
    }

    /// <summary>Problems with the settings, for <c>Validate</c>; predictions are kept for the drift retention, which must cover the horizon.</summary>
    public bool IsValid(TimeSpan retention, out string? problem)
    {
        problem = null;
        if (WindowDuration <= TimeSpan.Zero || EvaluationInterval <= TimeSpan.Zero)
        {
            problem = "Monitoring:Performance:WindowDuration and EvaluationInterval must be positive";
        }
        else if (Models.Values.Append(new ModelOutcomeOptions()).Any(m => ModelProblem(m, retention) is not null))
        {
            problem = "Monitoring:Performance horizons must be positive and, with WindowDuration and LabelLateness, shorter than Monitoring:Drift:Retention (predictions must still be kept when their outcomes come)";
        }

        return problem is null;
    }
}
