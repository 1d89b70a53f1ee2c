using System.Diagnostics;
using Mlops.Contracts.Inference;
using Mlops.Inference.Batching;
using Mlops.Inference.Models;
using Mlops.Inference.Telemetry;

namespace Mlops.Inference.Scoring;

/// <summary>
/// Turns a feature vector into a prediction: a named model's current version (through the batcher) or, for the
/// default model while none is loaded, the fallback rule.
/// </summary>
public sealed class Predictor(ModelCatalog catalog, DynamicBatcher batcher)
{
    /// <summary>Scores <paramref name="features"/> with the default model.</summary>
    public Task<PredictionResult> PredictAsync(IReadOnlyDictionary<string, double?> features, CancellationToken cancellationToken, bool explain = false) =>
        PredictAsync(catalog.Default, features, cancellationToken, explain);

    /// <summary>
    /// Scores <paramref name="features"/> with <paramref name="host"/>'s model; with <paramref name="explain"/>, adds
    /// per-feature contributions (model answers only). Throws <see cref="ModelNotServedException"/> for a model
    /// other than the default one that has no version loaded.
    /// </summary>
    public async Task<PredictionResult> PredictAsync(ModelHost host, IReadOnlyDictionary<string, double?> features, CancellationToken cancellationToken, bool explain = false)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = InferenceTelemetry.ActivitySource.StartActivity("inference.predict");
        var model = host.Lease();
        if (model is null && !ReferenceEquals(host, catalog.Default))
        {
            throw new ModelNotServedException(host.Name);
        }

        if (model is null)
        {
            var vitals = FallbackScorer.ResolveVitals(features);
            Validate(vitals, FallbackScorer.Features, acceptsMissing: false);
            var probability = FallbackScorer.Score(vitals);
            InferenceTelemetry.Fallbacks.Add(1, new KeyValuePair<string, object?>("model.version", FallbackScorer.ModelVersion));
            return Finish(activity, started, FallbackScorer.ModelName, FallbackScorer.ModelVersion, "fallback", probability, 0, fallback: true) with
            {
                Input = [.. FallbackScorer.Features.Select(f => new LoggedFeature(f, vitals.GetValueOrDefault(f)))],
            };
        }

        try
        {
            var row = Validate(features, model.Features, model.AcceptsMissing);
            (double p, double u) scored;
            try
            {
                scored = await batcher.ScoreAsync(model, row, cancellationToken);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The model failed on a valid row: counted per version, so a rollout's analysis sees the candidate's error rate.
                InferenceTelemetry.RequestErrors.Add(1, InferenceTelemetry.VersionTags(model));
                throw;
            }

            var (p, u) = scored;
            var contributions = explain ? ContributionCalculator.Compute(model, row) : null;
            return Finish(activity, started, model.Deployment.Name, model.Deployment.Version, model.Deployment.Variant, p, u, fallback: false) with
            {
                Contributions = contributions,
                Input = Logged(model.Features, row),
                ArtifactSha256 = model.Deployment.Sha256.Trim().ToLowerInvariant(),
            };
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>
    /// The model row in feature order; throws naming every missing or non-finite feature. A feature present as null
    /// (the feature set could not compute it, e.g. a slope over one point) becomes NaN for a model that accepts
    /// missing values, as it was in that model's training rows; an absent feature is always refused.
    /// </summary>
    internal static float[] Validate(IReadOnlyDictionary<string, double?> features, IReadOnlyList<string> names, bool acceptsMissing)
    {
        var row = new float[names.Count];
        List<string>? missing = null;
        List<string>? nonFinite = null;
        for (var i = 0; i < names.Count; i++)
        {
            if (!features.TryGetValue(names[i], out var value) || (value is null && !acceptsMissing))
            {
                (missing ??= []).Add(names[i]);
            }
            else if (value is null)
            {
                row[i] = float.NaN;
            }
            else if (!double.IsFinite(value.Value) || !float.IsFinite((float)value.Value))
            {
                (nonFinite ??= []).Add(names[i]);
            }
            else
            {
                row[i] = (float)value.Value;
            }
        }

        if (missing is not null || nonFinite is not null)
        {
            throw new FeatureValidationException(missing ?? [], nonFinite ?? []);
        }

        return row;
    }

    // NaN is how a missing value was scored; the log keeps it as null (JSON has no NaN).
    static LoggedFeature[] Logged(IReadOnlyList<string> names, float[] row)
    {
        var logged = new LoggedFeature[names.Count];
        for (var i = 0; i < logged.Length; i++)
        {
            logged[i] = new LoggedFeature(names[i], float.IsNaN(row[i]) ? null : row[i]);
        }

        return logged;
    }

    static PredictionResult Finish(Activity? activity, long started, string model, string version, string variant, double probability, double uncertainty, bool fallback)
    {
        var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        InferenceTelemetry.RequestLatency.Record(latency, InferenceTelemetry.ModelTags(model, version, variant, fallback));
        activity?.SetTag("model.name", model);
        activity?.SetTag("model.version", version);
        activity?.SetTag("model.variant", variant);
        activity?.SetTag("fallback", fallback);
        var result = new PredictionResult(model, version, probability, uncertainty, fallback, latency) { Variant = variant };
        activity?.SetTag("prediction.id", result.PredictionId);
        return result;
    }
}
