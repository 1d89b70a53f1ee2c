using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mlops.Contracts.Models;
using Mlops.Inference.Api;
using Mlops.Inference.Lineage;
using Mlops.Inference.Models;
using Mlops.Inference.Scoring;
using Mlops.ServiceDefaults.Health;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Inference.Protocols;

/// <summary>
/// The Open Inference Protocol (KServe v2) REST API: health, model metadata and readiness, and inference, for every
/// model this pod serves by name. Input <c>features</c> FP32 [N, d] in the model's feature order; outputs
/// <c>probability</c> and <c>uncertainty</c> FP32 [N]. Errors are <c>{"error": "..."}</c> (400, or 404 for a model
/// this pod does not serve).
/// </summary>
public static class OpenInferenceApi
{
    const string Fp32 = "FP32";

    public static IEndpointRouteBuilder MapOpenInferenceProtocol(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2");
        v2.MapGet("/health/live", () => TypedResults.Ok(new OipLive(true)));
        v2.MapGet("/health/ready", ServerReadyAsync);
        v2.MapGet("/models/{name}", GetMetadata);
        v2.MapGet("/models/{name}/ready", GetModelReady);
        v2.MapPost("/models/{name}/infer", InferAsync);
        return app;
    }

    static async Task<Results<Ok<OipReady>, BadRequest<OipReady>>> ServerReadyAsync(HealthCheckService health, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(c => c.Tags.Contains(HealthTags.Ready), cancellationToken);
        return report.Status == HealthStatus.Unhealthy ? TypedResults.BadRequest(new OipReady(false)) : TypedResults.Ok(new OipReady(true));
    }

    static Results<Ok<OipModelMetadata>, NotFound<OipError>> GetMetadata(string name, ModelCatalog catalog)
    {
        if (!catalog.TryGet(name, out var host) || host.Lease() is not { } model)
        {
            return TypedResults.NotFound(NotServed(name));
        }

        try
        {
            return TypedResults.Ok(new OipModelMetadata(
                name,
                [model.Deployment.Version],
                "onnxruntime",
                [new OipTensorMetadata(ModelOutputNames.Features, Fp32, [-1, model.Features.Count])],
                [new OipTensorMetadata(ModelOutputNames.Probability, Fp32, [-1]), new OipTensorMetadata(ModelOutputNames.Uncertainty, Fp32, [-1])]));
        }
        finally
        {
            model.Release();
        }
    }

    static Results<Ok<OipModelReady>, BadRequest<OipModelReady>, NotFound<OipError>> GetModelReady(string name, ModelCatalog catalog)
    {
        if (!catalog.TryGet(name, out var host))
        {
            return TypedResults.NotFound(NotServed(name));
        }

        return host.Current is null ? TypedResults.BadRequest(new OipModelReady(name, false)) : TypedResults.Ok(new OipModelReady(name, true));
    }

    /// <summary>
    /// Inference with the variant named by <c>X-Model-Variant</c>, else the champion; the answer names it in the
    /// <c>X-Model-Variant</c> header and the <c>variant</c> parameter.
    /// </summary>
    static async Task<Results<Ok<OipInferenceResponse>, BadRequest<OipError>, NotFound<OipError>, Conflict<OipError>>> InferAsync(
        string name, OipInferenceRequest request, [FromHeader(Name = InferenceApi.ModelVariantHeader)] string? variant, HttpResponse response,
        ModelCatalog catalog, Predictor predictor, PredictionLog log, CancellationToken cancellationToken)
    {
        if ((Problem("model name", name) ?? (request.Id is null ? null : Problem("id", request.Id))) is { } invalidName)
        {
            return TypedResults.BadRequest(new OipError(invalidName));
        }

        var choice = InferenceApi.Choose(catalog, name, variant, null);
        if (choice.Problem is { } problem)
        {
            var error = new OipError(problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "Not served.");
            return problem.StatusCode switch
            {
                StatusCodes.Status400BadRequest => TypedResults.BadRequest(error),
                StatusCodes.Status409Conflict => TypedResults.Conflict(error),
                _ => TypedResults.NotFound(error),
            };
        }

        var host = choice.Host!;
        if (host.Current is not { } deployment)
        {
            return TypedResults.NotFound(NotServed(name));
        }

        if (Rows(request, deployment.Features.Count, out var rows) is { } invalid)
        {
            return TypedResults.BadRequest(new OipError(invalid));
        }

        if (request.Outputs?.Any(o => o is null) == true)
        {
            return TypedResults.BadRequest(new OipError("'outputs' must not hold null entries."));
        }

        var wanted = request.Outputs is { Count: > 0 } named ? named.Select(o => o.Name ?? "").ToList() : [ModelOutputNames.Probability, ModelOutputNames.Uncertainty];
        if (wanted.FirstOrDefault(o => o is not (ModelOutputNames.Probability or ModelOutputNames.Uncertainty)) is { } unknown)
        {
            return TypedResults.BadRequest(new OipError($"Unknown output '{unknown}'; model '{name}' has outputs '{ModelOutputNames.Probability}' and '{ModelOutputNames.Uncertainty}'."));
        }

        PredictionResult[] results;
        try
        {
            // Issued together so the dynamic batcher runs the rows as one batch.
            results = await Task.WhenAll(rows.Select(row => predictor.PredictAsync(host, Named(deployment.Features, row), cancellationToken)));
        }
        catch (FeatureValidationException ex)
        {
            return TypedResults.BadRequest(new OipError($"Input '{ModelOutputNames.Features}' cannot be scored: {ex.Message}."));
        }
        catch (ModelNotServedException)
        {
            return TypedResults.NotFound(NotServed(name));
        }

        foreach (var result in results)
        {
            log.Record(result, null, null, PredictionSources.Http);
        }

        var version = results[0].ModelVersion;
        InferenceApi.SetModelHeaders(response, results[0]);
        var outputs = wanted.Select(o => new OipTensor(
            o, [results.Length], Fp32, o == ModelOutputNames.Probability ? [.. results.Select(r => r.Probability)] : [.. results.Select(r => r.Uncertainty)])).ToList();
        return TypedResults.Ok(new OipInferenceResponse
        {
            ModelName = name,
            ModelVersion = version,
            Id = request.Id,
            Parameters = new()
            {
                ["prediction_ids"] = results.Select(r => r.PredictionId).ToArray(),
                ["variant"] = results[0].Variant,
            },
            Outputs = outputs,
        });
    }

    /// <summary>The request's rows, or why it cannot be read (naming the field, as the protocol's errors do).</summary>
    static string? Rows(OipInferenceRequest request, int width, out List<double[]> rows)
    {
        rows = [];
        if (request.Inputs is not { Count: > 0 })
        {
            return $"'inputs' is required: one tensor '{ModelOutputNames.Features}'.";
        }

        if (request.Inputs.Any(i => i is null))
        {
            return "'inputs' must not hold null entries.";
        }

        var input = request.Inputs.FirstOrDefault(i => i.Name == ModelOutputNames.Features);
        if (input is null || request.Inputs.Count != 1)
        {
            return $"Expected exactly one input, whose name is '{ModelOutputNames.Features}'; got inputs named {string.Join(", ", request.Inputs.Select(i => $"'{i.Name}'"))}.";
        }

        if (input.Datatype != Fp32)
        {
            return $"Input '{input.Name}' datatype must be {Fp32}, not '{input.Datatype}'.";
        }

        if (input.Shape is not { Count: 2 } shape || shape[0] < 1 || shape[1] != width)
        {
            return $"Input '{input.Name}' shape must be [N, {width}] with N >= 1, not [{string.Join(", ", input.Shape ?? [])}].";
        }

        var values = new List<double>();
        if (!Flatten(input.Data, values))
        {
            return $"Input '{input.Name}' data must be finite numbers (flat or nested arrays, row-major).";
        }

        if (values.Count != shape[0] * width)
        {
            return $"Input '{input.Name}' data has {values.Count} values; shape [{shape[0]}, {width}] needs {shape[0] * width}.";
        }

        for (var r = 0; r < shape[0]; r++)
        {
            rows.Add(values.GetRange(r * width, width).ToArray());
        }

        return null;
    }

    static bool Flatten(JsonElement element, List<double> values)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                // 1e400 is valid JSON but no double: refused, not a FormatException (a 500).
                if (!element.TryGetDouble(out var value) || !double.IsFinite(value))
                {
                    return false;
                }

                values.Add(value);
                return true;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (!Flatten(item, values))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return false;
        }
    }

    static Dictionary<string, double?> Named(IReadOnlyList<string> features, double[] row)
    {
        var named = new Dictionary<string, double?>(features.Count, StringComparer.Ordinal);
        for (var i = 0; i < features.Count; i++)
        {
            named[features[i]] = row[i];
        }

        return named;
    }

    static string? Problem(string field, string value) =>
        value.Length > InputText.MaxIdentifierLength
            ? $"{field} is {value.Length} characters long; at most {InputText.MaxIdentifierLength} are allowed."
            : InputText.IdentifierProblem(field, value);

    static OipError NotServed(string name) =>
        new($"Model '{name}' is not served by this pod (not deployed in the registry, not loaded yet, or not in Inference:Models).");
}
