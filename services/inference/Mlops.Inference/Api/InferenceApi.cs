using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Mlops.Contracts.Features;
using Mlops.Inference.Models;
using Mlops.Inference.Protocols;
using Mlops.Inference.Scoring;
using Mlops.Inference.Streaming;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Inference.Api;

/// <summary>HTTP API under <c>/api/inference</c> (the gateway forwards the prefix unchanged).</summary>
public static class InferenceApi
{
    /// <summary>Header naming the model version that answered.</summary>
    public const string ModelVersionHeader = "X-Model-Version";

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
        return app;
    }

    static Task<Results<Ok<PredictionResponse>, NotFound<ProblemDetails>, UnprocessableEntity<ProblemDetails>, ProblemHttpResult>> PredictEntityAsync(
        string entityId, bool? contributions, HttpResponse response, OnlineFeatureCache cache, FeaturesClient features, ModelCatalog catalog, Predictor predictor, CancellationToken cancellationToken) =>
        PredictEntityCoreAsync(catalog.Default, entityId, contributions == true, response, cache, features, predictor, cancellationToken);

    static async Task<Results<Ok<PredictionResponse>, NotFound<ProblemDetails>, UnprocessableEntity<ProblemDetails>, ProblemHttpResult>> PredictEntityByNameAsync(
        string name, string entityId, bool? contributions, HttpResponse response, OnlineFeatureCache cache, FeaturesClient features, ModelCatalog catalog, Predictor predictor, CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(name, out var host))
        {
            return TypedResults.NotFound(UnknownModel(name));
        }

        return await PredictEntityCoreAsync(host, entityId, contributions == true, response, cache, features, predictor, cancellationToken);
    }

    static async Task<Results<Ok<PredictionResponse>, NotFound<ProblemDetails>, UnprocessableEntity<ProblemDetails>, ProblemHttpResult>> PredictEntityCoreAsync(
        ModelHost host, string entityId, bool explain, HttpResponse response, OnlineFeatureCache cache, FeaturesClient features, Predictor predictor, CancellationToken cancellationToken)
    {
        var invalid = new Dictionary<string, string[]>();
        if (!InputText.CheckIdentifier(invalid, "entityId", entityId))
        {
            return TypedResults.Problem(title: "The entity id is invalid", detail: invalid["entityId"][0], statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["errors"] = invalid });
        }

        // The model's own feature set: null (no recorded version) reads the shipped set's vector.
        var featureSet = host.Current?.FeatureSetVersion;
        if (!cache.TryGet(featureSet, entityId, out var vector))
        {
            // A pod that restarted or was just added has not seen every entity on Kafka: read through to the store.
            FeatureVectorUpdated? stored;
            try
            {
                stored = features.Configured ? await features.GetAsync(entityId, featureSet, cancellationToken) : null;
            }
            catch (HttpRequestException ex)
            {
                return TypedResults.Problem(title: "Features service unavailable", detail: $"Entity '{entityId}' is not in this pod's cache and the features service did not answer ({ex.Message}); retry.", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            if (stored is null)
            {
                return TypedResults.NotFound(new ProblemDetails
                {
                    Title = "Unknown entity",
                    Detail = $"No feature vector for entity '{entityId}' of feature set {featureSet ?? FeatureSets.ShippedName} in this pod's online cache or the features service's online store.",
                    Status = StatusCodes.Status404NotFound,
                });
            }

            cache.Update(stored);
            vector = stored;
        }

        try
        {
            return TypedResults.Ok(Answer(response, entityId, await predictor.PredictAsync(host, vector.Values, cancellationToken, explain)));
        }
        catch (FeatureValidationException ex)
        {
            return TypedResults.UnprocessableEntity(Unscorable(ex));
        }
        catch (ModelNotServedException ex)
        {
            return TypedResults.NotFound(UnknownModel(ex.Model));
        }
    }

    static Task<Results<Ok<PredictionResponse>, ValidationProblem, UnprocessableEntity<ProblemDetails>, NotFound<ProblemDetails>>> PredictInlineAsync(
        InlinePredictionRequest request, bool? contributions, HttpResponse response, ModelCatalog catalog, Predictor predictor, CancellationToken cancellationToken) =>
        PredictInlineCoreAsync(catalog.Default, request, contributions == true, response, predictor, cancellationToken);

    static async Task<Results<Ok<PredictionResponse>, ValidationProblem, UnprocessableEntity<ProblemDetails>, NotFound<ProblemDetails>>> PredictInlineByNameAsync(
        string name, InlinePredictionRequest request, bool? contributions, HttpResponse response, ModelCatalog catalog, Predictor predictor, CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(name, out var host))
        {
            return TypedResults.NotFound(UnknownModel(name));
        }

        return await PredictInlineCoreAsync(host, request, contributions == true, response, predictor, cancellationToken);
    }

    static async Task<Results<Ok<PredictionResponse>, ValidationProblem, UnprocessableEntity<ProblemDetails>, NotFound<ProblemDetails>>> PredictInlineCoreAsync(
        ModelHost host, InlinePredictionRequest request, bool explain, HttpResponse response, Predictor predictor, CancellationToken cancellationToken)
    {
        if (Validate(request, "") is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        try
        {
            return TypedResults.Ok(Answer(response, request.EntityId, await predictor.PredictAsync(host, request.Features!, cancellationToken, explain)));
        }
        catch (FeatureValidationException ex)
        {
            return TypedResults.UnprocessableEntity(Unscorable(ex));
        }
        catch (ModelNotServedException ex)
        {
            return TypedResults.NotFound(UnknownModel(ex.Model));
        }
    }

    static Ok<List<ModelStatusResponse>> ListModels(ModelCatalog catalog) =>
        TypedResults.Ok(catalog.All.Select(Status).ToList());

    static Results<Ok<ModelStatusResponse>, NotFound<ProblemDetails>> GetNamedModel(string name, ModelCatalog catalog) =>
        catalog.All.FirstOrDefault(h => h.Name == name) is { } host ? TypedResults.Ok(Status(host)) : TypedResults.NotFound(UnknownModel(name));

    internal static ProblemDetails UnknownModel(string name) => new()
    {
        Title = "Unknown model",
        Detail = $"Model '{name}' is not served by this pod: not deployed in the registry, not loaded yet, or not in Inference:Models.",
        Status = StatusCodes.Status404NotFound,
    };

    static PredictionResponse Answer(HttpResponse response, string? entityId, PredictionResult result)
    {
        response.Headers[ModelVersionHeader] = result.ModelVersion;
        return ToResponse(entityId, result);
    }

    static async Task<Results<Ok<BatchPredictionResponse>, ValidationProblem>> PredictBatchAsync(
        BatchPredictionRequest request, Predictor predictor, CancellationToken cancellationToken)
    {
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
        var answers = await Task.WhenAll(request.Items!.Select(item => PredictItemAsync(item, predictor, cancellationToken)));
        return TypedResults.Ok(new BatchPredictionResponse(answers));
    }

    static async Task<BatchPredictionItem> PredictItemAsync(InlinePredictionRequest item, Predictor predictor, CancellationToken cancellationToken)
    {
        try
        {
            return new BatchPredictionItem(ToResponse(item.EntityId, await predictor.PredictAsync(item.Features!, cancellationToken)), null);
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
            Variant = host.Current?.Variant,
            FeatureSetVersion = host.Current?.FeatureSetVersion,
        };

    static async Task<Results<Ok<ModelStatusResponse>, ValidationProblem, UnprocessableEntity<ProblemDetails>>> LoadModelAsync(
        LoadModelRequest request, ModelCatalog catalog, CancellationToken cancellationToken)
    {
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

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var deployment = new ModelDeployment
        {
            Name = request.Name!,
            Version = request.Version!,
            Path = request.Path!,
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
            return TypedResults.UnprocessableEntity(new ProblemDetails
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
            foreach (var name in request.Features.Keys)
            {
                var found = new Dictionary<string, string[]>();
                if (!InputText.CheckIdentifier(found, "features", name))
                {
                    errors[prefix + "features"] = [$"feature name: {found["features"][0]}"];
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
