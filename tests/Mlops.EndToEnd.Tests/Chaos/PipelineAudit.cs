using System.Text.Json.Nodes;
using Mlops.Contracts.Kafka;
using Mlops.Testing;
using Npgsql;

namespace Mlops.EndToEnd.Tests.Chaos;

/// <summary>
/// What became of a scenario's observations, counted in the stores and on the topics: acknowledged by the intake →
/// stored by ingestion → on <c>observations.v1</c> → stored by features → feature events on <c>features.v1</c> →
/// predictions on <c>predictions.v1</c> → recorded by monitoring. Only the scenario's own patients (one entity-id prefix)
/// are counted.
/// </summary>
public sealed record PipelineAudit
{
    /// <summary>Acknowledged observations missing from ingestion's store.</summary>
    public int LostAtIngestion { get; init; }

    /// <summary>Acknowledged observations missing from <c>observations.v1</c>.</summary>
    public int LostOnTopic { get; init; }

    /// <summary>Acknowledged observations missing from the feature store.</summary>
    public int LostAtFeatures { get; init; }

    /// <summary>Records of <c>observations.v1</c> repeating an observation (redeliveries; consumers deduplicate them by event id).</summary>
    public int RedeliveredObservations { get; init; }

    /// <summary>Observations published under more than one event id (a consumer's inbox cannot recognise those: a double application).</summary>
    public int ObservationsRepublishedAsNewEvents { get; init; }

    /// <summary>Feature computations published more than once under different event ids (same entity, set, trigger and time).</summary>
    public int FeatureEventsAppliedTwice { get; init; }

    /// <summary>Distinct feature events of the scored feature sets.</summary>
    public int FeatureEvents { get; init; }

    /// <summary>Distinct predictions (by <c>predictionId</c>).</summary>
    public int Predictions { get; init; }

    /// <summary>Feature events of a scored set without a prediction.</summary>
    public int FeatureEventsWithoutPrediction { get; init; }

    /// <summary>Extra distinct predictions for one feature event and model (more than one predictionId).</summary>
    public int DuplicatePredictions { get; init; }

    /// <summary>Predictions naming a feature event that is not on <c>features.v1</c>.</summary>
    public int PredictionsWithoutFeatureEvent { get; init; }

    /// <summary>Model predictions (not the fallback rule's) on <c>predictions.v1</c> missing from monitoring's samples.</summary>
    public int LostAtMonitoring { get; init; }

    /// <summary>Predictions monitoring recorded more than once.</summary>
    public int StoredTwiceAtMonitoring { get; init; }

    /// <summary>A few ids behind each non-zero problem figure, so a failure names what to look for in the logs.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Examples { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>
    /// Only what is wrong, with example ids: first in a failure message, because CI folds long lines and the full
    /// figures' tail was cut off there.
    /// </summary>
    public string Problems => string.Join("; ", Examples.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));

    /// <summary>Whether nothing is lost, doubled or missing.</summary>
    public bool Clean => LostAtIngestion == 0 && LostOnTopic == 0 && LostAtFeatures == 0 && ObservationsRepublishedAsNewEvents == 0
        && FeatureEventsAppliedTwice == 0 && FeatureEventsWithoutPrediction == 0 && DuplicatePredictions == 0 && PredictionsWithoutFeatureEvent == 0
        && LostAtMonitoring == 0 && StoredTwiceAtMonitoring == 0;

    /// <inheritdoc />
    public override string ToString() =>
        $"lost: ingestion {LostAtIngestion}, observations.v1 {LostOnTopic}, features {LostAtFeatures}; redelivered observations {RedeliveredObservations}, " +
        $"republished as new events {ObservationsRepublishedAsNewEvents}; feature events {FeatureEvents} (applied twice {FeatureEventsAppliedTwice}); " +
        $"predictions {Predictions} (feature events without one {FeatureEventsWithoutPrediction}, duplicates {DuplicatePredictions}, without feature event {PredictionsWithoutFeatureEvent}); " +
        $"monitoring: lost {LostAtMonitoring}, stored twice {StoredTwiceAtMonitoring}";

    /// <summary>Where the topics ended before the scenario's stream started.</summary>
    public sealed record Marks(Dictionary<int, long> Observations, Dictionary<int, long> Features, Dictionary<int, long> Predictions)
    {
        public static Marks Now() => new(TopicRange.Ends(Topics.Observations), TopicRange.Ends(Topics.Features), TopicRange.Ends(Topics.Predictions));

        /// <summary>
        /// Marks taken once streaming inference has scored the last feature event of each of <paramref name="prefix"/>'s
        /// patients published since <paramref name="before"/> (and so handled every earlier one), by every model that
        /// scores its set, and every such prediction lies before the predictions mark. Features being caught up says
        /// nothing of inference: a history event scored after a plain <see cref="Now"/> put its predictions inside the
        /// scenario's range with their event outside it (six patients' last vectors × three models, in a CI run).
        /// </summary>
        public static async Task<Marks> AfterScoredAsync(string prefix, Marks before, TimeSpan limit)
        {
            var observations = TopicRange.Ends(Topics.Observations);
            var features = TopicRange.Ends(Topics.Features);
            var events = TopicRange.Read(Topics.Features, before.Features, prefix, features);
            var entities = events.Select(e => Text(e, "subject")).ToHashSet(StringComparer.Ordinal);
            var deadline = DateTime.UtcNow + limit;
            var unscored = "";
            while (DateTime.UtcNow < deadline)
            {
                // Only what lies before the mark counts as scored: a prediction published after it is inside the
                // scenario's range, and its event must be too (a CI run counted predictions read past the mark).
                var predictionsEnd = TopicRange.Ends(Topics.Predictions);
                var predictions = Streamed(TopicRange.Read(Topics.Predictions, before.Predictions, prefix, predictionsEnd));
                // Which models score a set is taken from every prediction so far, so a model whose first prediction
                // falls after the mark is still waited for.
                var modelsBySet = Streamed(TopicRange.Read(Topics.Predictions, before.Predictions, prefix))
                    .GroupBy(p => Data(p, "featureSetVersion"))
                    .ToDictionary(g => g.Key, g => g.Select(p => Data(p, "modelName")).ToHashSet(StringComparer.Ordinal));
                var scored = predictions.Select(p => (Data(p, "featureEventId"), Data(p, "modelName"))).ToHashSet();
                // Inference takes an entity's vectors in order (one partition) and publishes each one's predictions
                // before the next one's: once an entity's last vector is scored, every earlier one was scored or
                // skipped — a vector early in a history may lack features a model needs and is never scored (the
                // first scenario on fresh databases waited for one such vector).
                var missing = events
                    .GroupBy(e => (Entity: Text(e, "subject"), Set: Data(e, "featureSetVersion")))
                    .Select(g => g.Last())
                    .Where(e => modelsBySet.ContainsKey(Data(e, "featureSetVersion")))
                    .SelectMany(e => modelsBySet[Data(e, "featureSetVersion")].Where(model => !scored.Contains((Text(e, "id"), model))))
                    .Count();
                var entitiesScored = predictions.Select(p => Text(p, "subject")).ToHashSet(StringComparer.Ordinal);
                if (missing == 0 && entities.All(entitiesScored.Contains))
                {
                    return new Marks(observations, features, predictionsEnd);
                }

                unscored = $"{missing} (patient's last vector, model) pairs unscored, {entities.Count(e => !entitiesScored.Contains(e))} of {entities.Count} patients without a prediction";
                await Task.Delay(500);
            }

            throw new TimeoutException($"streaming inference did not score the scenario's history within {limit.TotalSeconds} s: {unscored}");
        }
    }

    /// <summary>Counts everything for the observations acknowledged to the stream of patients named <paramref name="prefix"/>.</summary>
    public static async Task<PipelineAudit> TakeAsync(string prefix, IReadOnlyCollection<string> acknowledged, Marks marks)
    {
        var ingestion = await IdsAsync("ingestion", "SELECT observation_id FROM observations WHERE entity_id LIKE $1", prefix);
        var features = await IdsAsync("features", "SELECT observation_id FROM feature_observations WHERE entity_id LIKE $1", prefix);

        var observations = TopicRange.Read(Topics.Observations, marks.Observations, prefix);
        var byObservation = observations.GroupBy(e => Data(e, "observationId")).ToDictionary(g => g.Key, g => g.Select(e => Text(e, "id")).Distinct().Count());

        var featureEvents = TopicRange.Read(Topics.Features, marks.Features, prefix);
        var predictions = Streamed(TopicRange.Read(Topics.Predictions, marks.Predictions, prefix));
        // The sets some served model scores (the fallback rule or a champion); vectors of other sets are only cached.
        var scoredSets = predictions.Select(p => Data(p, "featureSetVersion")).ToHashSet();
        var events = featureEvents.Where(e => scoredSets.Contains(Data(e, "featureSetVersion"))).ToList();
        var eventIds = featureEvents.Select(e => Text(e, "id")).ToHashSet();
        var distinctEventIds = events.Select(e => Text(e, "id")).ToHashSet();
        var predictionsByEvent = predictions.GroupBy(p => (Event: Data(p, "featureEventId"), Model: Data(p, "modelName")))
            .ToDictionary(g => g.Key, g => g.Select(p => Data(p, "predictionId")).Distinct().Count());
        // Monitoring records every model prediction; the fallback rule's answers have no version to monitor.
        var monitored = predictions.Where(p => Data(p, "fallback") != "true").Select(p => Data(p, "predictionId")).ToHashSet(StringComparer.Ordinal);
        var samples = await CountsAsync("monitoring", "SELECT prediction_id, count(*) FROM prediction_samples WHERE entity_id LIKE $1 AND prediction_id IS NOT NULL GROUP BY prediction_id", prefix);

        var lostAtIngestion = acknowledged.Where(id => !ingestion.Contains(id)).ToList();
        var lostOnTopic = acknowledged.Where(id => !byObservation.ContainsKey(id)).ToList();
        var lostAtFeatures = acknowledged.Where(id => !features.Contains(id)).ToList();
        var republished = byObservation.Where(o => o.Value > 1).Select(o => o.Key).ToList();
        // Each extra event id of one computation counts once, as before.
        var appliedTwice = featureEvents
            .GroupBy(e => (e["subject"]?.ToString(), Data(e, "featureSetVersion"), Data(e, "triggeringObservationId"), Data(e, "eventTime")))
            .SelectMany(g => g.Select(e => Text(e, "id")).Distinct().Skip(1).Select(_ => $"{g.Key.Item3}@{g.Key.Item2}"))
            .ToList();
        var withoutPrediction = distinctEventIds.Where(id => !predictionsByEvent.Keys.Any(k => k.Event == id)).ToList();
        // Each extra prediction id for one feature event and model counts once, as before.
        var duplicates = predictionsByEvent.SelectMany(p => Enumerable.Repeat($"{p.Key.Event}/{p.Key.Model}", p.Value - 1)).ToList();
        var withoutEvent = predictions.Where(p => !eventIds.Contains(Data(p, "featureEventId")))
            .Select(p => $"{Data(p, "predictionId")} (event {Data(p, "featureEventId")}, {Data(p, "modelName")}, entity {Text(p, "subject")})").ToList();
        var lostAtMonitoring = monitored.Where(id => !samples.ContainsKey(id)).ToList();
        var storedTwice = samples.Where(s => s.Value > 1).Select(s => s.Key).ToList();
        var examples = new Dictionary<string, IReadOnlyList<string>>();
        void Note(string problem, List<string> ids)
        {
            if (ids.Count > 0)
            {
                examples[$"{problem} {ids.Count}"] = ids.Distinct().Take(3).ToList();
            }
        }

        Note("lost at ingestion", lostAtIngestion);
        Note("lost on observations.v1", lostOnTopic);
        Note("lost at features", lostAtFeatures);
        Note("republished as new events", republished);
        Note("feature events applied twice", appliedTwice);
        Note("feature events without a prediction", withoutPrediction);
        Note("duplicate predictions", duplicates);
        Note("predictions without feature event", withoutEvent);
        Note("lost at monitoring", lostAtMonitoring);
        Note("stored twice at monitoring", storedTwice);

        return new PipelineAudit
        {
            Examples = examples,
            LostAtIngestion = lostAtIngestion.Count,
            LostOnTopic = lostOnTopic.Count,
            LostAtFeatures = lostAtFeatures.Count,
            RedeliveredObservations = observations.Count - byObservation.Count,
            ObservationsRepublishedAsNewEvents = republished.Count,
            FeatureEventsAppliedTwice = appliedTwice.Count,
            FeatureEvents = distinctEventIds.Count,
            Predictions = predictions.Select(p => Data(p, "predictionId")).Distinct().Count(),
            FeatureEventsWithoutPrediction = withoutPrediction.Count,
            DuplicatePredictions = duplicates.Count,
            PredictionsWithoutFeatureEvent = withoutEvent.Count,
            LostAtMonitoring = lostAtMonitoring.Count,
            StoredTwiceAtMonitoring = storedTwice.Count,
        };
    }

    /// <summary>The streamed predictions: HTTP answers relayed from the prediction log name no feature event and are not the pipeline's.</summary>
    static List<JsonObject> Streamed(List<JsonObject> predictions) => predictions.Where(p => Data(p, "featureEventId") != "").ToList();

    static string Text(JsonObject envelope, string name) => envelope[name]?.ToString() ?? "";

    static string Data(JsonObject envelope, string name) => envelope["data"]?[name]?.ToString() ?? "";

    static async Task<Dictionary<string, long>> CountsAsync(string database, string sql, string prefix)
    {
        await using var source = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString(database));
        await using var command = source.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = prefix + "%" });
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    static async Task<HashSet<string>> IdsAsync(string database, string sql, string prefix)
    {
        await using var source = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString(database));
        await using var command = source.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = prefix + "%" });
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
