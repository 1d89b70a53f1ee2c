using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Inference.Lineage;
using Mlops.Inference.Models;
using Mlops.Inference.Protocols;
using Mlops.Inference.Scoring;
using Mlops.Inference.Streaming;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Inference.Api;

/// <summary>HTTP API under <c>/api/inference</c> (the gateway forwards the prefix unchanged).</summary>
public static partial class InferenceApi
{
    /// <summary>Header naming the model version that answered.</summary>
    public const string ModelVersionHeader = "X-Model-Version";

    /// <summary>
    /// Request: the variant (deployment alias) that must answer — set by the gateway's variant router and shadow
    /// mirror, accepted from clients for testing. Response: the variant that answered.
    /// </summary>
    public const string ModelVariantHeader = "X-Model-Variant";

    public static IEndpointRouteBuilder MapInferenceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/inference");
        api.MapPost("/entities/{entityId}/predict", PredictEntityAsync);
        api.MapPost("/predict", PredictInlineAsync);
        api.MapPost("/predict/batch", PredictBatchAsync);
        api.MapGet("/models", ListModels);
        api.MapGet("/models/{name}", GetNamedModel);
        api.MapPost("/models/{name}/entities/{entityId}/predict", PredictEntityByNameAsync);
        api.MapPost("/models/{name}/predict", PredictInlineByNameAsync);
        api.MapGet("/model", GetModel);
        api.MapPost("/model", LoadModelAsync);
        app.MapOpenInferenceProtocol();
        app.MapOpenInferenceGrpc();
        return app;
    }

    static Task<Results<Ok<PredictionResponse>, NotFound<ProblemDetails>, ProblemHttpResult>> PredictEntityAsync(
        string entityId, bool? contributions, [FromHeader(Name = ModelVariantHeader)] string? variant, HttpResponse response, OnlineFeatureReader features,
        ModelCatalog catalog, Predictor predictor, PredictionLog log, CancellationToken cancellationToken) =>
        PredictEntityByNameAsync(catalog.DefaultName, entityId, contributions, variant, response, features, catalog, predictor, log, cancellationToken);

    static async Task<Results<Ok<PredictionResponse>, NotFound<ProblemDetails>, ProblemHttpResult>> PredictEntityByNameAsync(
        string name, string entityId, bool? contributions, [FromHeader(Name = ModelVariantHeader)] string? variant, HttpResponse response,
        OnlineFeatureReader features, ModelCatalog catalog, Predictor predictor, PredictionLog log, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var choice = Choose(catalog, name, variant, entityId);
            if (choice.Problem is { } problem)
            {
                return problem;
            }

            try
            {
                return await PredictEntityCoreAsync(choice.Host!, entityId, contributions == true, response, features, predictor, log, cancellationToken);
            }
            catch (ModelNotServedException ex)
            {
                if (attempt == 1)
                {
                    // A deployment unloaded the chosen variant between the choice and the scoring (a promotion, the
                    // champion's route leaving at 100 %): the variant now serving answers instead of a 404 mid-rollout.
                    continue;
                }

                return TypedResults.NotFound(UnknownModel(ex.Model));
            }
        }
    }

    static async Task<Results<Ok<PredictionResponse>, NotFound<ProblemDetails>, ProblemHttpResult>> PredictEntityCoreAsync(
        ModelHost host, string entityId, bool explain, HttpResponse response, OnlineFeatureReader features, Predictor predictor, PredictionLog log,
        CancellationToken cancellationToken)
    {
        var invalid = new Dictionary<string, string[]>();
        if (!InputText.CheckIdentifier(invalid, "entityId", entityId))
        {
            return TypedResults.Problem(title: "The entity id is invalid", detail: invalid["entityId"][0], statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["errors"] = invalid });
        }

        // The model's own feature set: null (no recorded version) reads the shipped set's vector.
        var featureSet = host.Current?.FeatureSetVersion;
        // This replica's cache when it knows the vector is current, else the features service's online store.
        var (vector, unavailable) = await features.GetAsync(featureSet, entityId, cancellationToken);
        if (unavailable is not null)
        {
            return TypedResults.Problem(title: "Features service unavailable", detail: $"Entity '{entityId}' is not in this pod's cache and the features service did not answer ({unavailable}); retry.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        if (vector is null)
        {
            return TypedResults.NotFound(new ProblemDetails
            {
                Title = "Unknown entity",
                Detail = $"No feature vector for entity '{entityId}' of feature set {featureSet ?? FeatureSets.ShippedName} in this pod's online cache or the features service's online store.",
                Status = StatusCodes.Status404NotFound,
            });
        }

        try
        {
            var result = await predictor.PredictAsync(host, vector.Values, cancellationToken, explain);
            await log.RecordAsync(result, entityId, vector, PredictionSources.Http);
            return TypedResults.Ok(Answer(response, entityId, result));
        }
        catch (FeatureValidationException ex)
        {
            return TypedResults.Problem(Unscorable(ex));
        }
    }

    static Task<Results<Ok<PredictionResponse>, ValidationProblem, NotFound<ProblemDetails>, ProblemHttpResult>> PredictInlineAsync(
        InlinePredictionRequest request, bool? contributions, [FromHeader(Name = ModelVariantHeader)] string? variant, HttpResponse response, ModelCatalog catalog,
        Predictor predictor, PredictionLog log, CancellationToken cancellationToken) =>
        PredictInlineByNameAsync(catalog.DefaultName, request, contributions, variant, response, catalog, predictor, log, cancellationToken);

    static async Task<Results<Ok<PredictionResponse>, ValidationProblem, NotFound<ProblemDetails>, ProblemHttpResult>> PredictInlineByNameAsync(
        string name, InlinePredictionRequest request, bool? contributions, [FromHeader(Name = ModelVariantHeader)] string? variant, HttpResponse response, ModelCatalog catalog,
        Predictor predictor, PredictionLog log, CancellationToken cancellationToken)
    {
        var choice = Choose(catalog, name, variant, request.EntityId);
        if (choice.Problem is { } refused)
        {
            return refused;
        }

        if (Validate(request, "") is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        for (var attempt = 1; ; attempt++)
        {
            if (attempt > 1)
            {
                choice = Choose(catalog, name, variant, request.EntityId);
                if (choice.Problem is { } problem)
                {
                    return problem;
                }
            }

            try
            {
                var result = await predictor.PredictAsync(choice.Host!, request.Features!, cancellationToken, contributions == true);
                await log.RecordAsync(result, request.EntityId, null, PredictionSources.Http);
                return TypedResults.Ok(Answer(response, request.EntityId, result));
            }
            catch (FeatureValidationException ex)
            {
                return TypedResults.Problem(Unscorable(ex));
            }
            catch (ModelNotServedException ex)
            {
                if (attempt == 1)
                {
                    // Unloaded between the choice and the scoring by a deployment: chosen again (see PredictEntityByNameAsync).
                    continue;
                }

                return TypedResults.NotFound(UnknownModel(ex.Model));
            }
        }
    }

    /// <summary>
    /// The host that answers: the variant the caller names (<c>X-Model-Variant</c>), else the one the entity is
    /// assigned (the gateway's rule), else the champion. A problem when none here can: 400 for a malformed variant,
    /// 404 for an unknown model or a variant not loaded here, 409 for an entity another pod's variant serves.
    /// </summary>
    internal static (ModelHost? Host, ProblemHttpResult? Problem) Choose(ModelCatalog catalog, string name, string? variant, string? entityId)
    {
        if (variant is not null && !VariantPattern().IsMatch(variant))
        {
            return (null, TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>
            {
                [ModelVariantHeader] = ["must be a deployment alias such as champion, challenger or shadow (lower-case letters, digits, '.', '-', '_')."],
            })
            { Status = StatusCodes.Status400BadRequest, Title = "Invalid variant header" }));
        }

        var selection = catalog.Select(name, string.IsNullOrEmpty(variant) ? null : variant, entityId);
        return selection.Outcome switch
        {
            VariantSelectionOutcome.Selected => (selection.Host, null),
            VariantSelectionOutcome.UnknownModel => (null, TypedResults.Problem(UnknownModel(name))),
            VariantSelectionOutcome.AssignedElsewhere => (null, TypedResults.Problem(new ProblemDetails
            {
                Title = "Variant not served by this pod",
                Detail = $"Entity '{entityId}' is assigned to variant '{selection.Variant}' of model '{name}': {selection.Reason}.",
                Status = StatusCodes.Status409Conflict,
                Extensions = { ["model"] = name, ["variant"] = selection.Variant },
            })),
            _ => (null, TypedResults.Problem(new ProblemDetails
            {
                Title = "Variant not served by this pod",
                Detail = $"Variant '{selection.Variant}' of model '{name}' is not served by this pod: {selection.Reason}.",
                Status = StatusCodes.Status404NotFound,
                Extensions = { ["model"] = name, ["variant"] = selection.Variant },
            })),
        };
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$")]
    private static partial Regex VariantPattern();

    static Ok<List<ModelStatusResponse>> ListModels(ModelCatalog catalog) =>
        TypedResults.Ok(catalog.All.Select(Status).ToList());

    /// <summary>The variant answering unnamed requests, with every variant this pod holds of the model.</summary>
    static Results<Ok<ModelStatusResponse>, NotFound<ProblemDetails>> GetNamedModel(string name, ModelCatalog catalog)
    {
        var hosts = catalog.HostsOf(name);
        if ((catalog.Primary(name) ?? hosts.FirstOrDefault()) is not { } primary)
        {
            return TypedResults.NotFound(UnknownModel(name));
        }

        return TypedResults.Ok(Status(primary) with { Variants = [.. hosts.Select(Status)] });
    }

    internal static ProblemDetails UnknownModel(string name) => new()
    {
        Title = "Unknown model",
        Detail = $"Model '{name}' is not served by this pod: not deployed in the registry, not loaded yet, or not in Inference:Models.",
        Status = StatusCodes.Status404NotFound,
    };

    static PredictionResponse Answer(HttpResponse response, string? entityId, PredictionResult result)
    {
        SetModelHeaders(response, result);
        return ToResponse(entityId, result);
    }

    /// <summary>Names the model version and the variant that answered.</summary>
    internal static void SetModelHeaders(HttpResponse response, PredictionResult result)
    {
        response.Headers[ModelVersionHeader] = result.ModelVersion;
        response.Headers[ModelVariantHeader] = result.Variant;
    }

    static async Task<Results<Ok<BatchPredictionResponse>, ValidationProblem, ProblemHttpResult>> PredictBatchAsync(
        BatchPredictionRequest request, [FromHeader(Name = ModelVariantHeader)] string? variant, ModelCatalog catalog, Predictor predictor, PredictionLog log,
        CancellationToken cancellationToken)
    {
        if (Choose(catalog, catalog.DefaultName, variant, null).Problem is { } problem)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        if (request.Items is not { Count: > 0 })
        {
            errors["items"] = ["At least one item is required."];
        }
        else if (request.Items.Count > MaxBatchItems)
        {
            errors["items"] = [$"A batch holds at most {MaxBatchItems} items; this one has {request.Items.Count}."];
        }
        else
        {
            for (var i = 0; i < request.Items.Count; i++)
            {
                if (request.Items[i] is null)
                {
                    errors[$"items[{i}]"] = ["An item must be an object with features, not null."];
                    continue;
                }

                foreach (var (field, messages) in Validate(request.Items[i], $"items[{i}]."))
                {
                    errors[field] = messages;
                }
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // Issued together so the dynamic batcher can run them as one batch.
        // Each item names its own entity, so each may be answered by another variant (its answer says which).
        var answers = await Task.WhenAll(request.Items!.Select(item => PredictItemAsync(item, catalog, variant, predictor, log, cancellationToken)));
        return TypedResults.Ok(new BatchPredictionResponse(answers));
    }

    static async Task<BatchPredictionItem> PredictItemAsync(
        InlinePredictionRequest item, ModelCatalog catalog, string? variant, Predictor predictor, PredictionLog log, CancellationToken cancellationToken)
    {
        var choice = Choose(catalog, catalog.DefaultName, variant, item.EntityId);
        if (choice.Problem is { } problem)
        {
            return new BatchPredictionItem(null, problem.ProblemDetails.Detail);
        }

        try
        {
            var result = await predictor.PredictAsync(choice.Host!, item.Features!, cancellationToken);
            await log.RecordAsync(result, item.EntityId, null, PredictionSources.Http);
            return new BatchPredictionItem(ToResponse(item.EntityId, result), null);
        }
        catch (ModelNotServedException ex)
        {
            return new BatchPredictionItem(null, ex.Message);
        }
        catch (FeatureValidationException ex)
        {
            return new BatchPredictionItem(null, ex.Message);
        }
    }

    static Ok<ModelStatusResponse> GetModel(ModelHost host) => TypedResults.Ok(Status(host));

    static ModelStatusResponse Status(ModelHost host) =>
        new(host.State.ToString(), host.Current?.Name ?? host.Name, host.Current?.Version, host.LastError)
        {
            Variant = host.Current?.Variant ?? host.Variant,
            FeatureSetVersion = host.Current?.FeatureSetVersion,
        };

    static async Task<Results<Ok<ModelStatusResponse>, ValidationProblem, ProblemHttpResult>> LoadModelAsync(
        LoadModelRequest request, ModelCatalog catalog, IOptions<InferenceOptions> options, CancellationToken cancellationToken)
    {
        // Loading by path is off unless a models folder is configured, and then confined to it (docs/security.md).
        if (options.Value.ModelFilesDirectory is not { Length: > 0 } folder)
        {
            return TypedResults.Problem(title: "Loading by path is off",
                detail: "this pod loads models from the registry only; set Inference:ModelFilesDirectory to allow loading files from that folder",
                statusCode: StatusCodes.Status404NotFound);
        }

        var errors = new Dictionary<string, string[]>();
        InputText.CheckIdentifier(errors, "name", request.Name);
        InputText.CheckIdentifier(errors, "version", request.Version);
        Require(errors, "path", request.Path);
        if (InputText.IdentifierProblem("path", request.Path) is { } pathProblem)
        {
            errors["path"] = [pathProblem];
        }

        if (InputText.CheckIdentifier(errors, "sha256", request.Sha256) && !System.Text.RegularExpressions.Regex.IsMatch(request.Sha256!, "^[0-9a-fA-F]{64}$"))
        {
            errors["sha256"] = ["'sha256' must be 64 hexadecimal characters."];
        }

        InputText.CheckIdentifier(errors, "featureSetVersion", request.FeatureSetVersion, required: false);
        if (request.Features is not { Count: > 0 })
        {
            errors["features"] = ["The model's feature names, in input column order, are required."];
        }
        else
        {
            foreach (var feature in request.Features)
            {
                InputText.CheckIdentifier(errors, "features", feature);
            }
        }

        foreach (var (feature, value) in request.Baseline ?? [])
        {
            if (InputText.CheckIdentifier(errors, "baseline", feature) && !double.IsFinite(value))
            {
                errors["baseline"] = [$"baseline of {feature} must be a finite number."];
            }
        }

        var path = "";
        if (!string.IsNullOrWhiteSpace(request.Path) && !ModelFilesFolder.TryResolve(folder, request.Path, out path, out var pathError))
        {
            errors["path"] = [pathError];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var deployment = new ModelDeployment
        {
            Name = request.Name!,
            Version = request.Version!,
            Path = path,
            Sha256 = request.Sha256!,
            Features = request.Features!,
            Baseline = request.Baseline ?? [],
            FeatureSetVersion = string.IsNullOrWhiteSpace(request.FeatureSetVersion) ? null : request.FeatureSetVersion,
        };
        var host = catalog.Host(deployment.Name);
        try
        {
            await host.LoadAsync(deployment, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return TypedResults.Problem(new ProblemDetails
            {
                Title = "Model not loaded",
                Detail = ex.Message,
                Status = StatusCodes.Status422UnprocessableEntity,
            });
        }

        return GetModel(host);
    }

    /// <summary>Most items in one batch call (as ingestion's batch intake).</summary>
    public const int MaxBatchItems = 10_000;

    // An entity id is echoed into the answer and the prediction log, and feature names are looked up: the platform's
    // identifier rules apply, so a NUL or a megabyte of text is refused naming the field.
    static Dictionary<string, string[]> Validate(InlinePredictionRequest request, string prefix)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.EntityId is not null)
        {
            var found = new Dictionary<string, string[]>();
            if (!InputText.CheckIdentifier(found, "entityId", request.EntityId))
            {
                errors[prefix + "entityId"] = found["entityId"];
            }
        }

        if (request.Features is null)
        {
            errors[prefix + "features"] = ["Features are required."];
        }
        else
        {
            // One scratch dictionary per request, not one per name: a request names every feature of the model (81 in
            // the shipped set), and the per-name dictionaries showed in the service's profile.
            var found = new Dictionary<string, string[]>(1);
            foreach (var name in request.Features.Keys)
            {
                if (!InputText.CheckIdentifier(found, "features", name))
                {
                    errors[prefix + "features"] = [$"feature name: {found["features"][0]}"];
                    found.Clear();
                }
            }
        }

        return errors;
    }

    static void Require(Dictionary<string, string[]> errors, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors[field] = [$"'{field}' is required."];
        }
    }

    static ProblemDetails Unscorable(FeatureValidationException ex) => new()
    {
        Title = "Features cannot be scored",
        Detail = ex.Message,
        Status = StatusCodes.Status422UnprocessableEntity,
        Extensions =
        {
            ["missing"] = ex.Missing,
            ["nonFinite"] = ex.NonFinite,
        },
    };

    internal static PredictionResponse ToResponse(string? entityId, PredictionResult result) => new()
    {
        PredictionId = result.PredictionId,
        Variant = result.Variant,
        EntityId = entityId,
        Probability = result.Probability,
        Uncertainty = result.Uncertainty,
        ModelName = result.ModelName,
        ModelVersion = result.ModelVersion,
        Fallback = result.Fallback,
        LatencyMs = result.LatencyMs,
        Contributions = result.Contributions?.ByFeature,
        ContributionBaselineLogOdds = result.Contributions?.BaselineLogOdds,
        ContributionMethod = result.Contributions?.Method,
    };
}
