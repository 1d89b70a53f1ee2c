using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Mlops.Inference.Models;
using Mlops.Inference.Scoring;
using Mlops.Inference.Streaming;

namespace Mlops.Inference.Api;

/// <summary>HTTP API under <c>/api/inference</c> (the gateway forwards the prefix unchanged).</summary>
public static class InferenceApi
{
    public static IEndpointRouteBuilder MapInferenceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/inference");
        api.MapPost("/entities/{entityId}/predict", PredictEntityAsync);
        api.MapPost("/predict", PredictInlineAsync);
        api.MapPost("/predict/batch", PredictBatchAsync);
        api.MapGet("/model", GetModel);
        api.MapPost("/model", LoadModelAsync);
        return app;
    }

    static async Task<Results<Ok<PredictionResponse>, NotFound<ProblemDetails>, UnprocessableEntity<ProblemDetails>>> PredictEntityAsync(
        string entityId, bool? contributions, OnlineFeatureCache cache, Predictor predictor, CancellationToken cancellationToken)
    {
        if (!cache.TryGet(entityId, out var vector))
        {
            return TypedResults.NotFound(new ProblemDetails
            {
                Title = "Unknown entity",
                Detail = $"No feature vector for entity '{entityId}' has reached this pod's online cache.",
                Status = StatusCodes.Status404NotFound,
            });
        }

        try
        {
            return TypedResults.Ok(ToResponse(entityId, await predictor.PredictAsync(vector.Values, cancellationToken, contributions == true)));
        }
        catch (FeatureValidationException ex)
        {
            return TypedResults.UnprocessableEntity(Unscorable(ex));
        }
    }

    static async Task<Results<Ok<PredictionResponse>, ValidationProblem, UnprocessableEntity<ProblemDetails>>> PredictInlineAsync(
        InlinePredictionRequest request, bool? contributions, Predictor predictor, CancellationToken cancellationToken)
    {
        if (request.Features is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["features"] = ["Features are required."] });
        }

        try
        {
            return TypedResults.Ok(ToResponse(request.EntityId, await predictor.PredictAsync(request.Features, cancellationToken, contributions == true)));
        }
        catch (FeatureValidationException ex)
        {
            return TypedResults.UnprocessableEntity(Unscorable(ex));
        }
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

    static Ok<ModelStatusResponse> GetModel(ModelHost host) =>
        TypedResults.Ok(new ModelStatusResponse(host.State.ToString(), host.Current?.Name, host.Current?.Version, host.LastError));

    static async Task<Results<Ok<ModelStatusResponse>, ValidationProblem, UnprocessableEntity<ProblemDetails>>> LoadModelAsync(
        LoadModelRequest request, ModelHost host, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        Require(errors, "name", request.Name);
        Require(errors, "version", request.Version);
        Require(errors, "path", request.Path);
        Require(errors, "sha256", request.Sha256);
        if (request.Features is not { Count: > 0 })
        {
            errors["features"] = ["The model's feature names, in input column order, are required."];
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
        };
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

    static PredictionResponse ToResponse(string? entityId, PredictionResult result) => new()
    {
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
