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
/// model this pod serves by name. Input <c>features</c> FP32 or FP64 [N, d] in the model's feature order; outputs
/// <c>probability</c> and <c>uncertainty</c> FP64 [N]. The protocol's rules live in <see cref="OpenInferenceScoring"/>,
/// shared with the gRPC transport; this class reads and writes JSON. Errors are <c>{"error": "..."}</c> (400, or 404 for a model
/// this pod does not serve).
/// </summary>
public static class OpenInferenceApi
{
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

    static async Task<Results<Ok<OipReady>, BadRequest<OipReady>>> ServerReadyAsync(HealthCheckService health, CancellationToken cancellationToken) =>
        await OpenInferenceScoring.ServerReadyAsync(health, cancellationToken) ? TypedResults.Ok(new OipReady(true)) : TypedResults.BadRequest(new OipReady(false));

    static Results<Ok<OipModelMetadata>, NotFound<OipError>> GetMetadata(string name, ModelCatalog catalog) =>
        OpenInferenceScoring.Metadata(catalog, name, null, out var metadata) is { } problem
            ? TypedResults.NotFound(new OipError(problem.Message))
            : TypedResults.Ok(metadata!);

    static Results<Ok<OipModelReady>, BadRequest<OipModelReady>, NotFound<OipError>> GetModelReady(string name, ModelCatalog catalog)
    {
        if (OpenInferenceScoring.ModelReady(catalog, name, null, out var ready) is { } problem)
        {
            return TypedResults.NotFound(new OipError(problem.Message));
        }

        return ready ? TypedResults.Ok(new OipModelReady(name, true)) : TypedResults.BadRequest(new OipModelReady(name, false));
    }

    /// <summary>
    /// Inference with the variant named by <c>X-Model-Variant</c>, else the champion; the answer names it in the
    /// <c>X-Model-Variant</c> header and the <c>variant</c> parameter.
    /// </summary>
    static async Task<Results<Ok<OipInferenceResponse>, BadRequest<OipError>, NotFound<OipError>, Conflict<OipError>>> InferAsync(
        string name, OipInferenceRequest request, [FromHeader(Name = InferenceApi.ModelVariantHeader)] string? variant, HttpResponse response,
        ModelCatalog catalog, Predictor predictor, PredictionLog log, CancellationToken cancellationToken)
    {
        var scoring = new OipScoringRequest
        {
            ModelName = name,
            Id = request.Id,
            Variant = variant,
            Inputs = request.Inputs?.Select(i => i is null ? null : new OipInputTensor(i.Name, i.Datatype, i.Shape)).ToList(),
            Outputs = request.Outputs?.Select(o => o is null ? null : o.Name ?? "").ToList(),
        };
        var scored = await OpenInferenceScoring.ScoreAsync(
            scoring, (index, input, values) => ReadData(request.Inputs![index].Data, input, values),
            catalog, predictor, log, PredictionSources.Http, cancellationToken);
        if (scored.Problem is { } problem)
        {
            var error = new OipError(problem.Message);
            return problem.Kind switch
            {
                OipProblemKind.InvalidArgument => TypedResults.BadRequest(error),
                OipProblemKind.Conflict => TypedResults.Conflict(error),
                _ => TypedResults.NotFound(error),
            };
        }

        var first = scored.Results[0];
        InferenceApi.SetModelHeaders(response, first);
        return TypedResults.Ok(new OipInferenceResponse
        {
            ModelName = name,
            ModelVersion = first.ModelVersion,
            Id = request.Id,
            Parameters = new()
            {
                ["prediction_ids"] = scored.Results.Select(r => r.PredictionId).ToArray(),
                ["variant"] = first.Variant,
            },
            Outputs = [.. scored.Outputs.Select(o => new OipTensor(o, [scored.Results.Count], OpenInferenceScoring.Fp64, scored.Values(o)))],
        });
    }

    // Data is row-major: either flat, or nested exactly as the shape says. A ragged nesting ([[118, 26], [90, 38.9, 92]])
    // whose value count happens to match would otherwise be scored with its values shifted between rows.
    static string? ReadData(JsonElement data, OipInputTensor input, List<double> values)
    {
        if (data.ValueKind != JsonValueKind.Array)
        {
            return OpenInferenceScoring.NotFinite(input);
        }

        var nested = data.EnumerateArray().Any(item => item.ValueKind == JsonValueKind.Array);
        if (!nested)
        {
            return Numbers(data, values) ? null : OpenInferenceScoring.NotFinite(input);
        }

        var rows = input.Shape![0];
        var width = input.Shape[1];
        if (data.GetArrayLength() != rows)
        {
            return $"Input '{input.Name}' data is nested with {data.GetArrayLength()} rows; shape [{rows}, {width}] needs {rows} rows of {width} values (or a flat array).";
        }

        var r = 0;
        foreach (var row in data.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != width)
            {
                return $"Input '{input.Name}' data row {r} is not an array of {width} values; nested data must match shape [{rows}, {width}].";
            }

            if (!Numbers(row, values))
            {
                return OpenInferenceScoring.NotFinite(input);
            }

            r++;
        }

        return null;
    }

    static bool Numbers(JsonElement array, List<double> values)
    {
        foreach (var item in array.EnumerateArray())
        {
            // 1e400 is valid JSON but no double: refused, not a FormatException (a 500).
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out var value) || !double.IsFinite(value))
            {
                return false;
            }

            values.Add(value);
        }

        return true;
    }
}
