using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Training;
using Mlops.Onnx;
using Mlops.Training.Algorithms;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Ensembles;
using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Algorithms.Export;
using Mlops.Training.Algorithms.Gbdt;
using Mlops.Training.Algorithms.Linear;
using Mlops.Training.Algorithms.Search;
using Mlops.Training.Data;
using Mlops.Training.Quality;
using Mlops.Training.Registry;
using Mlops.Training.Scoring;
using Mlops.Training.Tracking;

namespace Mlops.Training.Pipeline;

/// <summary>The work of each step (everything but registration); results go to the workspace and the run store.</summary>
public sealed class TrainingPipeline(
    ITrainingSetSource source, RunStore runs, IOnnxModelScorer scorer, IOnnxLatencyProbe latency, IOptions<TrainingOptions> options,
    IOptions<QualityGateOptions> gate, IComparedModelSource compared)
{
    /// <summary>Artifact with ValidateData's findings (<see cref="DataValidationReport"/>).</summary>
    public const string DataValidationArtifact = "data-validation.json";

    /// <summary>Artifact with the training values per feature and the test predictions (<see cref="ReferenceProfileBuilder"/>), for drift monitoring.</summary>
    public const string ReferenceProfileArtifact = "reference-profile.json";

    /// <summary>Artifact with the evaluation per subgroup (when <see cref="TrainingOptions.SubgroupFeature"/> is set).</summary>
    public const string SubgroupsArtifact = "subgroups.json";

    /// <summary>Artifact with the compared version's figures on the held-out rows, or why it could not be scored (<see cref="ModelComparison"/>).</summary>
    public const string ComparisonArtifact = "comparison.json";

    public static readonly IReadOnlyList<string> Algorithms = ["gbdt", "logistic_regression", "bagged_gbdt"];

    /// <summary>Hyperparameter names each algorithm accepts.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> ParameterNames = new Dictionary<string, IReadOnlyList<string>>
    {
        ["gbdt"] = ["rounds", "learning_rate", "max_leaves", "max_depth", "min_samples_leaf", "l2", "row_subsample", "column_subsample"],
        ["logistic_regression"] = ["l2"],
        ["bagged_gbdt"] = ["rounds", "learning_rate", "max_leaves", "max_depth", "min_samples_leaf", "l2", "row_subsample", "column_subsample", "members"],
    };

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Empty reliability bins have no mean; they are written as "NaN" rather than failing the step.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    TrainingOptions Options => options.Value;

    /// <summary>The version registered for a run.</summary>
    public static string ModelVersionOf(StartTrainingRun request) =>
        string.IsNullOrWhiteSpace(request.ModelVersion) ? $"1.0.0-run.{request.RunId:N}" : request.ModelVersion;

    public async Task ValidateDataAsync(StartTrainingRun request, RunWorkspace.Entry work, CancellationToken ct)
    {
        var rows = new List<TrainingSetRow>();
        // The run's own feature set, so the features service builds rows of exactly the version checked below; the
        // run's dataset version, so the rows come from that immutable snapshot (and the labels recorded by its time)
        // rather than the live store: the same run asked again gets the same rows, whatever arrived since.
        var query = new TrainingSetQuery(
            request.LabelName,
            string.IsNullOrWhiteSpace(request.FeatureSetVersion) ? null : request.FeatureSetVersion,
            string.IsNullOrWhiteSpace(request.DatasetVersion) ? null : request.DatasetVersion,
            request.LabelsFrom);
        TrainingSetOrigin origin;
        using (var set = await source.OpenAsync(query, ct))
        {
            origin = set.Origin;
            await foreach (var row in set.Rows.WithCancellation(ct))
            {
                rows.Add(row);
            }
        }

        TrainingMetrics.TrainingSetRows.Add(rows.Count, new KeyValuePair<string, object?>("source", origin.Source));

        if (rows.Count < Options.MinRows)
        {
            throw new TrainingStepException($"the training set has {rows.Count} rows; at least {Options.MinRows} are needed{Describe(origin)}");
        }

        var available = rows[0].Features.Keys.Order(StringComparer.Ordinal).ToArray();
        var (selected, unknown) = FeatureSelection.Resolve(available, request.Features);
        if (unknown.Count > 0)
        {
            throw new TrainingStepException(
                $"the requested features {string.Join(", ", unknown)} match no feature of the training set ({string.Join(", ", available)})");
        }

        var names = selected.ToArray();
        var now = DateTimeOffset.UtcNow;
        var problems = new List<string>();
        var positives = 0;
        var missing = new int[names.Length];
        foreach (var row in rows)
        {
            if (row.FeatureSetVersion != request.FeatureSetVersion)
            {
                problems.Add($"row {row.LabelId} was computed with feature set {row.FeatureSetVersion}, not {request.FeatureSetVersion}");
            }

            if (row.LabelTime > now || row.LabelTime == default)
            {
                problems.Add($"row {row.LabelId} has label time {row.LabelTime:O}, which cannot bound its features");
            }

            if (row.Label is not (0 or 1))
            {
                problems.Add($"row {row.LabelId} has label {row.Label}; labels must be 0 or 1");
            }

            if (row.Features.Count != available.Length || available.Any(n => !row.Features.ContainsKey(n)))
            {
                problems.Add($"row {row.LabelId} does not have the training set's features ({string.Join(", ", available)})");
            }

            positives += row.Label == 1 ? 1 : 0;
            for (var f = 0; f < names.Length; f++)
            {
                if (!row.Features.TryGetValue(names[f], out var v) || v is null || !double.IsFinite(v.Value))
                {
                    missing[f]++;
                }
            }

            if (problems.Count >= 5)
            {
                break;
            }
        }

        var missingRates = names.Select((n, f) => (n, rate: (double)missing[f] / rows.Count)).ToDictionary(x => x.n, x => x.rate);
        // A feature the data cannot fill (a 1-hour slope from hourly vitals) is left out rather than failing the run.
        var excluded = missingRates.Where(m => m.Value > Options.MaxMissingRate)
            .Select(m => new ExcludedFeature(m.Key, m.Value, $"missing in {Percent(m.Value, "0.0")} of the rows (more than {Percent(Options.MaxMissingRate, "0.#")})"))
            .ToArray();
        var kept = names.Where(n => excluded.All(e => e.Name != n)).ToArray();
        TrainingMetrics.FeaturesExcluded.Add(excluded.Length);
        var minority = Math.Min(positives, rows.Count - positives) / (double)rows.Count;
        var report = new DataValidationReport
        {
            Rows = rows.Count, Positives = positives, MinorityFraction = minority, FeatureSetVersion = request.FeatureSetVersion,
            RequestedFeatures = request.Features, MissingRates = missingRates, FeaturesUsed = kept, ExcludedFeatures = excluded, Source = origin,
        };
        await runs.PutArtifactAsync(request.RunId, DataValidationArtifact, "application/json", JsonSerializer.SerializeToUtf8Bytes(report, Json), ct);
        await runs.AddMetricsAsync(request.RunId, new Dictionary<string, double>
        {
            ["rows"] = rows.Count,
            ["positive_rate"] = positives / (double)rows.Count,
            ["features_used"] = kept.Length,
            ["features_excluded"] = excluded.Length,
        }, ct);

        if (problems.Count > 0)
        {
            throw new TrainingStepException(string.Join("; ", problems));
        }

        if (positives == 0 || positives == rows.Count)
        {
            throw new TrainingStepException($"the label '{request.LabelName}' has a single class ({(positives == 0 ? 0 : 1)} in all {rows.Count} rows)");
        }

        if (minority < Options.MinMinorityFraction)
        {
            throw new TrainingStepException($"the minority class is {minority:P2} of the rows; at least {Options.MinMinorityFraction:P2} is needed");
        }

        if (kept.Length < Options.MinFeatures)
        {
            var left = excluded.Length == 0 ? "" : $" after leaving out {string.Join(", ", excluded.Select(e => $"{e.Name} ({Percent(e.MissingRate, "0.#")} missing)"))}";
            throw new TrainingStepException(
                $"only {kept.Length} feature(s) remain ({string.Join(", ", kept)}){left}; at least {Options.MinFeatures} are needed");
        }

        work.Rows = rows;
        work.Features = kept;
    }

    static string Describe(TrainingSetOrigin origin) => origin.Source == "dataset"
        ? $" (built from dataset version {origin.DatasetVersion} with {origin.DatasetObservations} observations and the labels recorded by {origin.LabelsRecordedBy:O})"
        : " (built from the features service's live store)";

    static string Percent(double rate, string format) => (rate * 100).ToString(format, CultureInfo.InvariantCulture) + "%";

    /// <summary>Reads a run's <see cref="DataValidationArtifact"/>.</summary>
    public static DataValidationReport? ReadDataValidation(byte[] json) => JsonSerializer.Deserialize<DataValidationReport>(json, Json);

    public async Task BuildTrainingSetAsync(StartTrainingRun request, RunWorkspace.Entry work, CancellationToken ct)
    {
        var rows = Require(work.Rows, "rows");
        // Time order (ties by entity and label id) makes the matrix, and so the model, independent of arrival order.
        rows.Sort((a, b) =>
        {
            var c = a.LabelTime.CompareTo(b.LabelTime);
            c = c != 0 ? c : string.CompareOrdinal(a.EntityId, b.EntityId);
            return c != 0 ? c : string.CompareOrdinal(a.LabelId, b.LabelId);
        });
        var names = (work.Features ?? rows[0].Features.Keys.Order(StringComparer.Ordinal).ToArray()).ToArray();
        var features = new float[rows.Count * names.Length];
        var labels = new float[rows.Count];
        // The rule reads the full row: its vitals need not be among the model's features.
        work.RulePoints = rows.Select(r => EarlyWarningRule.Points(r.Features)).ToArray();
        var canonical = new StringBuilder();
        for (var r = 0; r < rows.Count; r++)
        {
            labels[r] = (float)rows[r].Label;
            canonical.Append(rows[r].EntityId).Append('|').Append(rows[r].LabelId).Append('|').Append(rows[r].LabelTime.UtcTicks).Append('|').Append(rows[r].Label);
            for (var f = 0; f < names.Length; f++)
            {
                var v = rows[r].Features[names[f]];
                features[r * names.Length + f] = v is { } d && double.IsFinite(d) ? (float)d : float.NaN;
                canonical.Append('|').Append(features[r * names.Length + f].ToString("R", CultureInfo.InvariantCulture));
            }

            canonical.Append('\n');
        }

        work.Data = new TabularData(features, labels, names.Length, names);
        await runs.SetTrainingSetAsync(request.RunId, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString()))), ct);
    }

    public async Task SplitAsync(StartTrainingRun request, RunWorkspace.Entry work, CancellationToken ct)
    {
        var data = Require(work.Data, "training set");
        var (train, test) = SplitByTime(data, Options.TestFraction);
        if (test.Rows == 0 || test.Labels.Distinct().Count() < 2 || train.Labels.Distinct().Count() < 2)
        {
            throw new TrainingStepException("the time-based split leaves a part with a single class; more (or more recent) labels are needed");
        }

        work.TrainSet = train;
        work.TestSet = test;
        await runs.AddMetricsAsync(request.RunId, new Dictionary<string, double> { ["train_rows"] = train.Rows, ["test_rows"] = test.Rows }, ct);
    }

    public async Task TrainAsync(StartTrainingRun request, RunWorkspace.Entry work, ITrialObserver? observer, CancellationToken ct)
    {
        var train = Require(work.TrainSet, "training rows");
        var parameters = new Dictionary<string, double>(request.Hyperparameters);
        if (request.SearchSpace.Count > 0)
        {
            var (fit, validation) = SplitByTime(train, Options.ValidationFraction);
            var space = new SearchSpace(request.SearchSpace.Select(Domain).ToArray());
            var trials = request.SearchTrials > 0 ? HyperparameterSearch.Random(space, request.SearchTrials, request.Seed) : HyperparameterSearch.Grid(space);
            var result = HyperparameterSearch.Run(trials, (trial, token) =>
            {
                var merged = new Dictionary<string, double>(parameters);
                foreach (var (k, v) in trial.Parameters)
                {
                    merged[k] = v;
                }

                var model = Fit(request.Algorithm, fit, merged, request.Seed);
                var auroc = BinaryMetrics.Auroc(validation.Labels, model.PredictProbabilities(validation));
                return new TrialResult(trial, auroc, new Dictionary<string, double> { ["validation_auroc"] = auroc });
            }, higherIsBetter: true, observer, ct);
            foreach (var (k, v) in result.Best.Trial.Parameters)
            {
                parameters[k] = v;
            }

            await runs.AddMetricsAsync(request.RunId, new Dictionary<string, double> { ["best_validation_auroc"] = result.Best.Score, ["best_trial"] = result.Best.Trial.Index }, ct);
        }

        ct.ThrowIfCancellationRequested();
        work.Model = Fit(request.Algorithm, train, parameters, request.Seed);
    }

    public async Task EvaluateAsync(StartTrainingRun request, RunWorkspace.Entry work, CancellationToken ct)
    {
        var model = Require(work.Model, "model");
        var test = Require(work.TestSet, "test rows");
        var probabilities = model.PredictProbabilities(test);
        var report = BinaryMetrics.Evaluate(test.Labels, probabilities);
        work.Evaluation = report;
        await runs.PutArtifactAsync(request.RunId, "evaluation.json", "application/json", JsonSerializer.SerializeToUtf8Bytes(report, Json), ct);
        var profile = ReferenceProfileBuilder.Build(request.RunId.ToString(), request.FeatureSetVersion, Require(work.TrainSet, "training rows"), probabilities);
        await runs.PutArtifactAsync(request.RunId, ReferenceProfileArtifact, "application/json", JsonSerializer.SerializeToUtf8Bytes(profile, JsonSerializerOptions.Web), ct);
        await runs.AddMetricsAsync(request.RunId, new Dictionary<string, double>
        {
            ["auroc"] = report.Auroc,
            ["auprc"] = report.Auprc,
            ["log_loss"] = report.LogLoss,
            ["brier"] = report.Brier,
            ["ece"] = report.ExpectedCalibrationError,
        }, ct);
        var subgroupFeature = request.SubgroupFeature ?? Options.SubgroupFeature;
        // The service's default subgroup feature applies to runs that train on it; a run's own choice must be among its features.
        if (!string.IsNullOrWhiteSpace(subgroupFeature) && (request.SubgroupFeature is not null || test.ColumnNames.Contains(subgroupFeature)))
        {
            await EvaluateSubgroupsAsync(request, test, probabilities, subgroupFeature, ct);
        }

        var train = Require(work.TrainSet, "training rows");
        var rulePoints = work.RulePoints is { } points && points.Length == train.Rows + test.Rows ? points[train.Rows..] : new double?[test.Rows];
        var baselines = QualityGate.Measure(test.Labels, probabilities, rulePoints, train.Labels, gate.Value.MinAurocMargin);
        await runs.AddMetricsAsync(request.RunId, baselines.Metrics(), ct);
        if (!string.IsNullOrWhiteSpace(request.CompareWithVersion))
        {
            // Recorded beside the run's figures for whoever asked (the retraining saga's policy); never part of the gate.
            await CompareAsync(request, test, ct);
        }

        if (QualityGate.Failure(baselines) is { } failure)
        {
            TrainingMetrics.QualityGateFailures.Add(1);
            throw new TrainingStepException(failure);
        }
    }

    /// <summary>
    /// Scores <see cref="StartTrainingRun.CompareWithVersion"/> on the run's held-out rows with ONNX Runtime, feeding it its
    /// own input columns by name. A version that cannot be had or whose inputs are not all among the rows' columns is
    /// recorded as a failed comparison with the reason (<c>compared_failed</c>), never guessed at.
    /// </summary>
    async Task CompareAsync(StartTrainingRun request, TabularData test, CancellationToken ct)
    {
        var version = request.CompareWithVersion!;
        var champion = await compared.GetAsync(request.ModelName, version, ct);
        var comparison = Score(champion, test);
        await runs.PutArtifactAsync(request.RunId, ComparisonArtifact, "application/json", JsonSerializer.SerializeToUtf8Bytes(comparison, Json), ct);
        await runs.AddMetricsAsync(request.RunId, comparison.Problem is null
            ? new Dictionary<string, double>
            {
                ["compared_auroc"] = comparison.Auroc!.Value, ["compared_log_loss"] = comparison.LogLoss!.Value, ["compared_brier"] = comparison.Brier!.Value,
                ["compared_rows"] = comparison.Rows,
            }
            : new Dictionary<string, double> { ["compared_failed"] = 1, ["compared_rows"] = comparison.Rows }, ct);
    }

    ModelComparison Score(ComparedModel champion, TabularData test)
    {
        if (champion.Problem is not null || champion.Onnx is null)
        {
            return ModelComparison.Failed(champion, test.Rows, champion.Problem ?? "no artifact");
        }

        var columns = test.ColumnNames.Select((name, i) => (name, i)).ToDictionary(c => c.name, c => c.i, StringComparer.Ordinal);
        var missing = champion.Inputs.Where(n => !columns.ContainsKey(n)).ToArray();
        if (missing.Length > 0)
        {
            return ModelComparison.Failed(champion, test.Rows,
                $"version {champion.Version} needs {string.Join(", ", missing)}, absent from the run's rows ({string.Join(", ", test.ColumnNames)})");
        }

        var width = champion.Inputs.Count;
        var matrix = new float[test.Rows * width];
        var order = champion.Inputs.Select(n => columns[n]).ToArray();
        for (var r = 0; r < test.Rows; r++)
        {
            var row = test.Row(r);
            for (var c = 0; c < width; c++)
            {
                matrix[r * width + c] = row[order[c]];
            }
        }

        float[] scores;
        try
        {
            scores = scorer.Score(champion.Onnx, matrix, test.Rows, width).TryGetValue(OnnxExporter.ProbabilityOutput, out var p)
                ? p
                : throw new InvalidOperationException($"the model has no {OnnxExporter.ProbabilityOutput} output");
        }
        catch (Exception e) when (e is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or InvalidOperationException)
        {
            return ModelComparison.Failed(champion, test.Rows, $"ONNX Runtime could not score version {champion.Version}: {e.Message}");
        }

        var report = BinaryMetrics.Evaluate(test.Labels, scores.Select(v => (double)v).ToArray());
        return new ModelComparison(champion.Version, champion.Sha256, test.Rows, report.Auroc, report.LogLoss, report.Brier, null);
    }

    async Task EvaluateSubgroupsAsync(StartTrainingRun request, TabularData test, double[] probabilities, string feature, CancellationToken ct)
    {
        var column = test.ColumnNames.ToList().IndexOf(feature);
        if (column < 0)
        {
            throw new TrainingStepException($"the subgroup feature '{feature}' is not in the training set ({string.Join(", ", test.ColumnNames)})");
        }

        var groups = Enumerable.Range(0, test.Rows).Select(r => GroupOf(test.Row(r)[column])).ToArray();
        var distinct = groups.Distinct().Count();
        if (distinct > Options.MaxSubgroups)
        {
            throw new TrainingStepException(
                $"the subgroup feature '{feature}' takes {distinct} values in the test rows; at most {Options.MaxSubgroups} define subgroups");
        }

        var reports = SubgroupMetrics.Evaluate(test.Labels, probabilities, groups);
        await runs.PutArtifactAsync(request.RunId, SubgroupsArtifact, "application/json",
            JsonSerializer.SerializeToUtf8Bytes(new SubgroupEvaluation(feature, reports), Json), ct);
        var aurocs = reports.Values.Select(r => r.Auroc).Where(double.IsFinite).ToArray();
        if (aurocs.Length > 0)
        {
            await runs.AddMetricsAsync(request.RunId, new Dictionary<string, double> { ["subgroup_auroc_gap"] = aurocs.Max() - aurocs.Min() }, ct);
        }
    }

    static string GroupOf(float value) => float.IsNaN(value) ? "missing" : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Reads a run's <see cref="SubgroupsArtifact"/>.</summary>
    public static SubgroupEvaluation? ReadSubgroups(byte[] json) => JsonSerializer.Deserialize<SubgroupEvaluation>(json, Json);

    public async Task<string> ExportAsync(StartTrainingRun request, RunWorkspace.Entry work, CancellationToken ct)
    {
        var model = Require(work.Model, "model");
        var bytes = OnnxExporter.ExportBytes(model, Require(work.Data, "training set").ColumnNames);
        work.Onnx = bytes;
        return await runs.PutArtifactAsync(request.RunId, "model.onnx", "application/octet-stream", bytes, ct);
    }

    public async Task VerifyAsync(StartTrainingRun request, RunWorkspace.Entry work, CancellationToken ct)
    {
        var result = ExportVerification.Verify(Require(work.Model, "model"), Require(work.Onnx, "ONNX export"), Require(work.TestSet, "test rows"), scorer);
        await runs.AddMetricsAsync(request.RunId, new Dictionary<string, double>
        {
            ["export_max_probability_error"] = result.MaxProbabilityError,
            ["export_max_std_error"] = result.MaxStandardDeviationError,
        }, ct);
        var timing = latency.SinglePrediction(Require(work.Onnx, "ONNX export"), Require(work.TestSet, "test rows"), Options.LatencySamples);
        await runs.AddMetricsAsync(request.RunId, new Dictionary<string, double>
        {
            ["p50_latency_ms"] = timing.P50Microseconds / 1000,
            ["p95_latency_ms"] = timing.P95Microseconds / 1000,
            ["p99_latency_ms"] = timing.P99Microseconds / 1000,
            ["max_latency_ms"] = timing.MaxMicroseconds / 1000,
        }, ct);
        if (!result.Passed)
        {
            throw new TrainingStepException(
                $"ONNX Runtime's probabilities differ from the model's by up to {result.MaxProbabilityError:G3} (tolerance {result.Tolerance:G3})");
        }
    }

    /// <summary>The last <paramref name="fraction"/> of rows (already in time order) are held out.</summary>
    static (TabularData Earlier, TabularData Later) SplitByTime(TabularData data, double fraction)
    {
        var later = (int)Math.Round(data.Rows * fraction);
        return SplitAt(data, data.Rows - later);
    }

    /// <summary>The first <paramref name="cut"/> rows and the rest.</summary>
    public static (TabularData Earlier, TabularData Later) SplitAt(TabularData data, int cut) =>
        (data.Select(Enumerable.Range(0, cut).ToArray()), data.Select(Enumerable.Range(cut, data.Rows - cut).ToArray()));

    static IBinaryClassifier Fit(string algorithm, TabularData data, IReadOnlyDictionary<string, double> parameters, int seed)
    {
        switch (algorithm)
        {
            case "gbdt":
                return GbdtTrainer.Fit(data, HyperparameterSearch.Apply(new GbdtOptions { Seed = seed }, parameters));
            case "logistic_regression":
                return LogisticRegressionTrainer.Fit(data, HyperparameterSearch.Apply(new LogisticRegressionOptions(), parameters));
            case "bagged_gbdt":
                var members = parameters.TryGetValue("members", out var m) ? (int)m : 10;
                return BaggedEnsembleTrainer.FitBoosted(data, HyperparameterSearch.Apply(new GbdtOptions { Seed = seed, Parallel = false },
                        parameters.Where(p => p.Key != "members").ToDictionary()),
                    new EnsembleOptions { Members = members, Seed = seed });
            default:
                throw new TrainingStepException($"unknown algorithm '{algorithm}'");
        }
    }

    static ParameterDomain Domain(SearchParameter p) =>
        p.Values.Count > 0
            ? new ChoiceDomain(p.Name, p.Values)
            : new RangeDomain(p.Name, p.Low ?? 0, p.High ?? 0, p.Log, p.Integer);

    static T Require<T>(T? value, string what) where T : class =>
        value ?? throw new TrainingStepException($"the run's {what} is neither in this process nor stored by an earlier step");
}

/// <summary>Evaluation per value of the subgroup feature (the <c>subgroups.json</c> artifact).</summary>
public sealed record SubgroupEvaluation(string Feature, IReadOnlyDictionary<string, EvaluationReport> Groups);
