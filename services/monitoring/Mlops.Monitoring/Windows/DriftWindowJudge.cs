using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Drift;

namespace Mlops.Monitoring.Windows;

/// <summary>Judges a window of predictions against the version's reference profile: every profiled feature, then the prediction.</summary>
public static class DriftWindowJudge
{
    /// <summary>Name under which the model's output is judged.</summary>
    public const string PredictionFeature = "prediction";

    /// <summary>
    /// The verdict with the model's settings (the service-wide ones for no model). A feature with fewer than its
    /// <see cref="DriftWindowSettings.MinWindowSamples"/> values in the window is not judged.
    /// </summary>
    public static WindowVerdict Judge(ReferenceProfile profile, IReadOnlyList<WindowSample> samples, DriftOptions options, string? model = null)
    {
        var settings = options.For(model);
        var results = new List<FeatureDriftResult>();
        foreach (var (feature, reference) in profile.Features)
        {
            var current = samples.Where(s => s.Features.ContainsKey(feature)).Select(s => s.Features[feature]).ToList();
            if (reference.Count > 0 && current.Count >= settings.MinWindowSamples)
            {
                results.Add(Evaluate(feature, reference, current, options));
            }
        }

        var evaluated = results.Count;
        var drifted = results.Count(r => r.Drifted);
        var datasetDrift = evaluated > 0 && drifted >= settings.DatasetDriftShare * evaluated;
        if (profile.Predictions.Count > 0 && samples.Count >= settings.MinWindowSamples)
        {
            results.Add(Evaluate(PredictionFeature, profile.Predictions, samples.Select(s => s.Probability).ToList(), options));
        }

        return new WindowVerdict(results, evaluated, drifted, datasetDrift);
    }

    static FeatureDriftResult Evaluate(string feature, IReadOnlyList<double> reference, IReadOnlyList<double> current, DriftOptions options)
    {
        options.Features.TryGetValue(feature, out var custom);
        return FeatureDriftEvaluator.Evaluate(feature, reference, current, custom?.ParsedMethod, custom?.Threshold);
    }
}
