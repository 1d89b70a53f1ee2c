using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Inference.Models;
using Mlops.Inference.Protocols;
using Mlops.Inference.Scoring;
using Mlops.Inference.Streaming;

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
        if (request.Features is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["features"] = ["Features are required."] });
        }

        try
        {
            return TypedResults.Ok(Answer(response, request.EntityId, await predictor.PredictAsync(host, request.Features, cancellationToken, explain)));
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
        else
        {
            for (var i = 0; i < request.Items.Count; i++)
            {
                if (request.Items[i].Features is null)
                {
                    errors[$"items[{i}].features"] = ["Features are required."];
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

    static async Task<Results<Ok<ModelStatusResponse>, ValidationProblem, UnprocessableEntity<ProblemDetails>, ProblemHttpResult>> LoadModelAsync(
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
        Require(errors, "name", request.Name);
        Require(errors, "version", request.Version);
        Require(errors, "path", request.Path);
        Require(errors, "sha256", request.Sha256);
        if (request.Features is not { Count: > 0 })
        {
            errors["features"] = ["The model's feature names, in input column order, are required."];
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
            return TypedResults.UnprocessableEntity(new ProblemDetails
            {
                Title = "Model not loaded",
                Detail = ex.Message,
                Status = StatusCodes.Status422UnprocessableEntity,
            });
        }

        return GetModel(host);
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
