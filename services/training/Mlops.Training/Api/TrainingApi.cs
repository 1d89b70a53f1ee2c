using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Contracts.Training;
using Mlops.ServiceDefaults.Http;
using Mlops.Training.Data;
using Mlops.Training.Pipeline;
using Mlops.Training.Tracking;

namespace Mlops.Training.Api;

/// <summary>Runs over HTTP: start, follow, compare, cancel, download the model.</summary>
public static class TrainingApi
{
    /// <summary>Body of <c>POST /api/training/runs</c>: the fields of <see cref="StartTrainingRun"/> without the run id.</summary>
    public sealed record StartRunRequest(
        string? ModelName, string? ModelVersion, string? FeatureSetVersion, string? DatasetVersion, string? LabelName, string? Algorithm,
        Dictionary<string, double>? Hyperparameters, List<SearchParameter>? SearchSpace, int? SearchTrials, int? Seed, string? RequestedBy, string? SubgroupFeature = null,
        List<string>? Features = null, string? CompareWithVersion = null, DateTimeOffset? LabelsFrom = null);

    /// <summary>Body of the cancel request.</summary>
    public sealed record CancelRequest(string? RequestedBy);

    /// <summary>A run with the pipeline's view of it.</summary>
    public sealed record RunView(RunRecord Run, string? PipelineState, string? CurrentStep);

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapTrainingApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/training/runs").WithTags("Training");
        api.MapPost("", StartRun);
        api.MapGet("", async (RunStore runs, string? model, int? limit, CancellationToken ct) =>
            TypedResults.Ok(await runs.ListAsync(model, Math.Clamp(limit ?? 100, 1, 1000), ct)));
        api.MapGet("/compare", Compare);
        api.MapGet("/{id:guid}", GetRun);
        api.MapGet("/{id:guid}/artifacts/model", GetModel);
        api.MapGet("/{id:guid}/artifacts/reference-profile", GetReferenceProfile);
        api.MapGet("/{id:guid}/evaluation", GetEvaluation);
        api.MapPost("/{id:guid}/cancel", Cancel);
        return routes;
    }

    static async Task<Results<Accepted<object>, ValidationProblem>> StartRun(
        StartRunRequest body, RunStore runs, CodeVersion codeVersion, IFeatureCatalog catalog, IPublishEndpoint bus, TimeProvider clock, CancellationToken ct)
    {
        var errors = Validate(body, clock.GetUtcNow());
        if (!errors.ContainsKey("features") && body.Features is { Count: > 0 } && await catalog.FeatureNamesAsync(ct) is { } known)
        {
            var (_, unknown) = FeatureSelection.Resolve(known, body.Features);
            if (unknown.Count > 0)
            {
                errors["features"] = [$"no feature is named or matches: {string.Join(", ", unknown)}"];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The training run request is invalid");
        }

        var runId = NewId.NextGuid();
        var command = new StartTrainingRun
        {
            RunId = runId,
            ModelName = body.ModelName!,
            ModelVersion = body.ModelVersion,
            FeatureSetVersion = body.FeatureSetVersion!,
            DatasetVersion = body.DatasetVersion!,
            LabelName = body.LabelName!,
            Algorithm = body.Algorithm!,
            Hyperparameters = body.Hyperparameters ?? [],
            SearchSpace = body.SearchSpace ?? [],
            SearchTrials = body.SearchTrials ?? 0,
            Seed = body.Seed ?? 0,
            RequestedBy = body.RequestedBy!,
            SubgroupFeature = string.IsNullOrWhiteSpace(body.SubgroupFeature) ? null : body.SubgroupFeature,
            Features = body.Features?.Select(f => f.Trim()).ToArray() ?? [],
            CompareWithVersion = string.IsNullOrWhiteSpace(body.CompareWithVersion) ? null : body.CompareWithVersion,
            LabelsFrom = body.LabelsFrom,
        };

        // Recorded before it is sent, so the run is visible the moment its id is returned.
        await runs.CreateAsync(RunRecords.FromRequest(command, codeVersion.Value), ct);
        await bus.Publish(command, ct);
        return TypedResults.Accepted($"/api/training/runs/{runId}", (object)new { runId });
    }

    /// <summary>Most random-search trials one run may ask for (each is a full training).</summary>
    public const int MaxSearchTrials = 1000;

    /// <summary>How far past the validator's clock a label window may start: the sender's clock may run ahead of ours.</summary>
    static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    internal static Dictionary<string, string[]> Validate(StartRunRequest body, DateTimeOffset now)
    {
        // Every name here ends up in the run store, the saga's state, registry events and file names: the same
        // identifier rules as everywhere else (no control characters, valid Unicode, at most 200 characters).
        var errors = new Dictionary<string, string[]>();
        InputText.CheckIdentifier(errors, "modelName", body.ModelName);
        InputText.CheckIdentifier(errors, "modelVersion", body.ModelVersion, required: false);
        InputText.CheckIdentifier(errors, "featureSetVersion", body.FeatureSetVersion);
        InputText.CheckIdentifier(errors, "datasetVersion", body.DatasetVersion);
        InputText.CheckIdentifier(errors, "labelName", body.LabelName);
        InputText.CheckIdentifier(errors, "requestedBy", body.RequestedBy);
        InputText.CheckIdentifier(errors, "subgroupFeature", body.SubgroupFeature, required: false);
        InputText.CheckIdentifier(errors, "compareWithVersion", body.CompareWithVersion, required: false);
        if (body.LabelsFrom is { } from && from > now + ClockSkew)
        {
            // A window that starts in the future holds no label: the run could only fail at its first step.
            errors["labelsFrom"] = [$"labelsFrom {from:O} is in the future (now {now:O}); it is where the window of labels to learn from starts"];
        }
        foreach (var name in body.Hyperparameters?.Keys ?? Enumerable.Empty<string>())
        {
            InputText.CheckIdentifier(errors, "hyperparameters", name);
        }

        foreach (var (parameter, i) in (body.SearchSpace ?? []).Select((p, i) => (p, i)))
        {
            if (parameter is null)
            {
                errors["searchSpace"] = [$"searchSpace[{i}] is null"];
            }
            else if (InputText.CheckIdentifier(errors, "searchSpace", parameter.Name)
                && (parameter.Values.Any(v => !double.IsFinite(v)) || parameter.Low is { } low && !double.IsFinite(low) || parameter.High is { } high && !double.IsFinite(high)))
            {
                errors["searchSpace"] = [$"searchSpace[{i}] ({parameter.Name}): values, low and high must be finite numbers"];
            }
        }

        if (body.SearchSpace?.Any(p => p is null) == true)
        {
            return errors;
        }

        if (string.IsNullOrWhiteSpace(body.Algorithm) || !TrainingPipeline.ParameterNames.TryGetValue(body.Algorithm, out var known))
        {
            errors["algorithm"] = [$"algorithm must be one of {string.Join(", ", TrainingPipeline.Algorithms)}"];
            known = [];
        }

        var unknown = (body.Hyperparameters?.Keys.AsEnumerable() ?? []).Concat(body.SearchSpace?.Select(p => p.Name) ?? []).Where(n => known.Count > 0 && !known.Contains(n)).ToArray();
        if (unknown.Length > 0)
        {
            errors["hyperparameters"] = [$"unknown for {body.Algorithm}: {string.Join(", ", unknown)}; known: {string.Join(", ", known)}"];
        }

        if (body.Hyperparameters?.Values.Any(v => !double.IsFinite(v)) == true)
        {
            errors["hyperparameters"] = ["values must be finite numbers"];
        }

        var badRanges = (body.SearchSpace ?? []).Where(p => p.Values.Count == 0 && (p.Low is null || p.High is null || p.Low > p.High || (p.Log && p.Low <= 0)))
            .Select(p => p.Name).ToArray();
        if (badRanges.Length > 0)
        {
            errors["searchSpace"] = [$"need values, or low <= high (low > 0 when log): {string.Join(", ", badRanges)}"];
        }

        if (body.Features?.Any(string.IsNullOrWhiteSpace) == true)
        {
            errors["features"] = ["feature names or patterns must not be empty"];
        }
        else
        {
            foreach (var feature in body.Features ?? [])
            {
                InputText.CheckIdentifier(errors, "features", feature);
            }
        }

        if (body.SearchTrials is < 0 or > MaxSearchTrials)
        {
            errors["searchTrials"] = [$"searchTrials must be 0 (grid) to {MaxSearchTrials}"];
        }

        return errors;
    }

    static async Task<Results<Ok<RunView>, NotFound>> GetRun(Guid id, RunStore runs, ILoadSagaRepository<TrainingRunState> sagas, CancellationToken ct)
    {
        var run = await runs.GetAsync(id, ct);
        if (run is null)
        {
            return TypedResults.NotFound();
        }

        var saga = await sagas.Load(id);
        var state = saga?.CurrentState;
        var step = state is not null && TrainingSteps.All.Contains(state) ? state : run.CurrentStep;
        return TypedResults.Ok(new RunView(run, state, step));
    }

    static async Task<Results<Ok<object>, NotFound, ValidationProblem>> Compare(Guid? a, Guid? b, RunStore runs, CancellationToken ct)
    {
        if (a is null || b is null)
        {
            var errors = new Dictionary<string, string[]>();
            if (a is null) errors["a"] = ["a (a run id) is required"];
            if (b is null) errors["b"] = ["b (a run id) is required"];
            return TypedResults.ValidationProblem(errors);
        }

        var left = await runs.GetAsync(a.Value, ct);
        var right = await runs.GetAsync(b.Value, ct);
        if (left is null || right is null)
        {
            return TypedResults.NotFound();
        }

        var metrics = left.Metrics.Keys.Union(right.Metrics.Keys).Order(StringComparer.Ordinal)
            .ToDictionary(k => k, k => new { a = Value(left.Metrics, k), b = Value(right.Metrics, k), difference = Value(right.Metrics, k) - Value(left.Metrics, k) });
        var leftModel = left.Artifacts.FirstOrDefault(x => x.Name == "model.onnx")?.Sha256;
        var rightModel = right.Artifacts.FirstOrDefault(x => x.Name == "model.onnx")?.Sha256;
        return TypedResults.Ok((object)new
        {
            a = left,
            b = right,
            metrics,
            sameParameters = left.Parameters.ToJsonString() == right.Parameters.ToJsonString(),
            sameTrainingSet = left.TrainingSetSha256 == right.TrainingSetSha256,
            sameModel = leftModel is not null && leftModel == rightModel,
        });
    }

    static double? Value(IReadOnlyDictionary<string, double> metrics, string key) => metrics.TryGetValue(key, out var v) ? v : null;

    static async Task<Results<FileContentHttpResult, NotFound>> GetModel(Guid id, RunStore runs, HttpResponse response, CancellationToken ct)
    {
        var artifact = await runs.GetArtifactAsync(id, "model.onnx", ct);
        if (artifact is null)
        {
            return TypedResults.NotFound();
        }

        response.Headers["X-Content-SHA256"] = artifact.Info.Sha256;
        return TypedResults.File(artifact.Content, "application/octet-stream", $"{id:N}.onnx");
    }

    static async Task<Results<FileContentHttpResult, NotFound>> GetReferenceProfile(Guid id, RunStore runs, CancellationToken ct) =>
        await runs.GetArtifactAsync(id, TrainingPipeline.ReferenceProfileArtifact, ct) is { } artifact
            ? TypedResults.File(artifact.Content, "application/json")
            : TypedResults.NotFound();

    /// <summary>
    /// The held-out evaluation (evaluation.json): metrics, the reliability table (10 equal-width bins) and the ROC curve
    /// (at most <see cref="Algorithms.Evaluation.BinaryMetrics.MaxRocPoints"/> points). 404 naming why when the run is
    /// unknown or has not been evaluated (yet, or ever: search trials and runs that failed earlier).
    /// </summary>
    static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetEvaluation(Guid id, RunStore runs, CancellationToken ct)
    {
        if (await runs.GetArtifactAsync(id, "evaluation.json", ct) is { } artifact)
        {
            return TypedResults.File(artifact.Content, "application/json");
        }

        return await runs.GetAsync(id, ct) is null
            ? TypedResults.Problem($"No training run {id}.", statusCode: StatusCodes.Status404NotFound, title: "Run not found")
            : TypedResults.Problem($"Run {id} has no held-out evaluation (it has not reached or did not pass the Evaluate step).",
                statusCode: StatusCodes.Status404NotFound, title: "No evaluation");
    }

    static async Task<Results<Accepted, NotFound>> Cancel(Guid id, CancelRequest? body, RunStore runs, IPublishEndpoint bus, CancellationToken ct)
    {
        if (await runs.GetAsync(id, ct) is null)
        {
            return TypedResults.NotFound();
        }

        await bus.Publish(new CancelTrainingRun { RunId = id, RequestedBy = body?.RequestedBy ?? "api" }, ct);
        return TypedResults.Accepted($"/api/training/runs/{id}");
    }
}
