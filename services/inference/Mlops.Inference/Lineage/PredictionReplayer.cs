using Mlops.Contracts.Inference;
using Mlops.Inference.Models;
using Mlops.Inference.Telemetry;

namespace Mlops.Inference.Lineage;

/// <summary>
/// Replays a logged prediction: the observations known at its moment and the vector recomputed from them (the
/// features service's point-in-time computation at the vector's event time, as known at its "known at"), the model
/// version's record in the registry, and the probability scored again with the exact artifact (by content hash,
/// verified), from the recomputed vector. It matches the original within <see cref="Tolerance"/> when the
/// observations are the same ones; anything that differs is named in <see cref="PredictionReplay.Notes"/>.
/// </summary>
public sealed class PredictionReplayer(
    PredictionLogStore log, PointInTimeFeaturesClient features, RegistryLineageClient registry, ReplayModels models)
{
    /// <summary>Largest difference between the original and the re-scored probability that counts as equal.</summary>
    public const double Tolerance = 1e-6;

    /// <summary>The replay; null when the prediction is not in the log.</summary>
    public async Task<PredictionReplay?> ReplayAsync(string predictionId, CancellationToken cancellationToken)
    {
        using var activity = InferenceTelemetry.ActivitySource.StartActivity("replay prediction");
        activity?.SetTag("prediction.id", predictionId);
        if (await log.FindAsync(predictionId, cancellationToken) is not { } original)
        {
            return null;
        }

        var notes = new List<string>();
        var record = original.Fallback ? null : await registry.FindAsync(original.ModelName, original.ModelVersion, cancellationToken);
        var sha = original.ArtifactSha256 ?? record?.ArtifactSha256;
        if (record?.ArtifactSha256 is { } registered && sha is not null && !string.Equals(registered, sha, StringComparison.OrdinalIgnoreCase))
        {
            notes.Add($"The registry records artifact {registered} for {original.ModelName} {original.ModelVersion}; the prediction was scored with {sha}, which is replayed.");
        }

        if (!original.Fallback && record is null)
        {
            notes.Add($"The registry has no record of {original.ModelName} {original.ModelVersion} (a local artifact); its training run and dataset version are unknown.");
        }

        IReadOnlyList<ReplayedObservation> observations = [];
        RecomputedVector? recomputed = null;
        var input = original.Features;
        var scoredFrom = "logged";
        if (original is { EntityId: { } entity, FeatureSetVersion: { } set, FeatureEventTime: { } asOf })
        {
            if (original.KnownAt is not { } knownAt)
            {
                notes.Add("The vector carried no known-at time (computed by an older features service or a backfill); the recomputation uses the time it was computed.");
                knownAt = original.FeatureComputedAt ?? original.PredictedAt;
            }

            if (await features.ComputeAsync(entity, set, asOf, knownAt, cancellationToken) is { } vector)
            {
                observations = vector.Observations;
                recomputed = Compare(original, vector);
                if (recomputed.Features.All(f => vector.Values.ContainsKey(f.Name)))
                {
                    input = recomputed.Features;
                    scoredFrom = "recomputed";
                }

                if (!recomputed.SameObservations)
                {
                    notes.Add($"The observations known at {knownAt:O} differ from those the vector was computed from (missing: {string.Join(", ", recomputed.MissingObservations)}; extra: {string.Join(", ", recomputed.ExtraObservations)}) — a value back-dated by its available time, or one purged.");
                }

                if (!recomputed.MatchesLogged)
                {
                    notes.Add($"The recomputed vector differs from the one scored in: {string.Join(", ", recomputed.Differing)}.");
                }
            }
            else
            {
                notes.Add($"The features service does not know feature-set version {set}; the logged input is re-scored instead.");
            }
        }
        else
        {
            notes.Add("The features were given inline, not computed from observations; the logged input is re-scored.");
        }

        ReplayedScore replayed;
        Contributions? contributions = null;
        var verified = false;
        if (original.Fallback)
        {
            var vitals = input.ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);
            var p = Scoring.FallbackScorer.Score(vitals);
            replayed = Score(original, p, 0, scoredFrom);
        }
        else if (sha is null)
        {
            notes.Add("No artifact hash is known for the model version; it cannot be re-scored.");
            replayed = new ReplayedScore(double.NaN, double.NaN, double.NaN, false, "none");
        }
        else
        {
            var model = await models.LeaseAsync(original.ModelName, original.ModelVersion, sha, [.. original.Features.Select(f => f.Name)], cancellationToken);
            try
            {
                verified = true;
                var row = input.Select(f => f.Value is { } v ? (float)v : float.NaN).ToArray();
                Span<double> probability = stackalloc double[1];
                Span<double> uncertainty = stackalloc double[1];
                model.Score(row, 1, probability, uncertainty);
                replayed = Score(original, probability[0], uncertainty[0], scoredFrom);
                var explained = ContributionCalculator.Compute(model, row);
                contributions = new Contributions(explained.Method, explained.BaselineLogOdds, explained.ByFeature);
            }
            finally
            {
                model.Release();
            }
        }

        InferenceTelemetry.Replays.Add(1, new KeyValuePair<string, object?>("matches", replayed.MatchesOriginal));
        return new PredictionReplay
        {
            Original = original,
            Model = new ReplayedModel(original.ModelName, original.ModelVersion, sha, verified, record?.TrainingRunId, record?.DatasetVersion,
                record?.FeatureSetVersion, record?.CodeVersion, record is not null),
            Observations = observations,
            Recomputed = recomputed,
            Replayed = replayed,
            Contributions = contributions,
            Notes = notes,
        };
    }

    static ReplayedScore Score(PredictionLogged original, double probability, double uncertainty, string scoredFrom)
    {
        var difference = Math.Abs(probability - original.Probability);
        return new ReplayedScore(probability, uncertainty, difference, difference <= Tolerance, scoredFrom);
    }

    /// <summary>The model's inputs from the recomputed vector, compared with what was scored (as the float the model took).</summary>
    static RecomputedVector Compare(PredictionLogged original, PointInTimeVector vector)
    {
        var features = new List<LoggedFeature>(original.Features.Count);
        var differing = new List<string>();
        foreach (var logged in original.Features)
        {
            var value = vector.Values.GetValueOrDefault(logged.Name);
            // The model scored float32: the recomputed value is compared as the model takes it.
            double? asScored = value is { } v ? (float)v : null;
            features.Add(new LoggedFeature(logged.Name, asScored));
            if (!vector.Values.ContainsKey(logged.Name) || asScored != logged.Value)
            {
                differing.Add(logged.Name);
            }
        }

        var used = vector.Observations.Select(o => o.ObservationId).ToHashSet(StringComparer.Ordinal);
        var behind = (original.ObservationIds ?? []).ToHashSet(StringComparer.Ordinal);
        var missing = behind.Where(id => !used.Contains(id)).Order(StringComparer.Ordinal).ToList();
        var extra = original.ObservationIds is null ? [] : used.Where(id => !behind.Contains(id)).Order(StringComparer.Ordinal).ToList();
        return new RecomputedVector(vector.FeatureSetVersion, vector.AsOf, vector.KnownAt, features, differing.Count == 0, differing,
            missing.Count == 0 && extra.Count == 0, missing, extra);
    }
}
