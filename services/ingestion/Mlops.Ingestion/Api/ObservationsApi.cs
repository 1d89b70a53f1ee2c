using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Ingestion;
using Mlops.Ingestion.Schemas;
using Mlops.Ingestion.Validation;

namespace Mlops.Ingestion.Api;

/// <summary>HTTP intake: single observations and batches of up to <see cref="IngestionOptions.MaxBatchSize"/>.</summary>
public static class ObservationsApi
{
    /// <summary>Answer to one observation.</summary>
    public sealed record ObservationReceipt(string ObservationId, string Status, long? Sequence);

    /// <summary>Answer to a batch: counts and one entry per item, in order.</summary>
    public sealed record BatchReceipt(int Accepted, int Duplicates, int Rejected, IReadOnlyList<BatchItemResult> Results);

    /// <summary>One batch item's outcome; errors only for rejected items.</summary>
    public sealed record BatchItemResult(int Index, string? ObservationId, string Status, long? Sequence, IReadOnlyList<FieldError>? Errors);

    /// <summary>Maps the endpoints under <c>/api/ingestion</c>.</summary>
    public static IEndpointRouteBuilder MapObservationsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/ingestion").WithTags("Ingestion");
        api.MapPost("/observations", PostObservation);
        api.MapPost("/observations/batch", PostBatch);
        return routes;
    }

    static async Task<Results<Accepted<ObservationReceipt>, Ok<ObservationReceipt>, ValidationProblem>> PostObservation(
        JsonElement body, ObservationIntake intake, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var raw = RawObservationReader.TryRead(body, errors);
        var result = await intake.IngestOneAsync(raw, errors, cancellationToken);
        return result.Status switch
        {
            IntakeStatus.Accepted => TypedResults.Accepted(
                $"/api/ingestion/observations/{Uri.EscapeDataString(result.ObservationId!)}", new ObservationReceipt(result.ObservationId!, "accepted", result.Sequence)),
            IntakeStatus.Duplicate => TypedResults.Ok(new ObservationReceipt(result.ObservationId!, "duplicate", result.Sequence)),
            _ => TypedResults.ValidationProblem(
                result.Errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
                title: "The observation is invalid"),
        };
    }

    static async Task<Results<Ok<BatchReceipt>, ProblemHttpResult>> PostBatch(
        JsonElement body, ObservationIntake intake, IOptions<IngestionOptions> options, CancellationToken cancellationToken)
    {
        if (body.ValueKind != JsonValueKind.Array)
        {
            return TypedResults.Problem(title: "The batch is invalid", detail: "the body must be a JSON array of observations", statusCode: StatusCodes.Status400BadRequest);
        }

        var count = body.GetArrayLength();
        if (count > options.Value.MaxBatchSize)
        {
            return TypedResults.Problem(title: "The batch is too large",
                detail: $"the batch has {count} observations; at most {options.Value.MaxBatchSize} are accepted per request", statusCode: StatusCodes.Status400BadRequest);
        }

        var raws = new List<RawObservation?>(count);
        var parseErrors = new List<List<FieldError>>(count);
        foreach (var element in body.EnumerateArray())
        {
            var errors = new List<FieldError>();
            raws.Add(RawObservationReader.TryRead(element, errors));
            parseErrors.Add(errors);
        }

        var results = await intake.IngestAsync(raws, parseErrors, cancellationToken);
        return TypedResults.Ok(new BatchReceipt(
            results.Count(r => r.Status == IntakeStatus.Accepted),
            results.Count(r => r.Status == IntakeStatus.Duplicate),
            results.Count(r => r.Status == IntakeStatus.Rejected),
            results.Select(r => new BatchItemResult(
                r.Index, r.ObservationId, r.Status.ToString().ToLowerInvariant(), r.Sequence, r.Status == IntakeStatus.Rejected ? r.Errors : null)).ToList()));
    }
}
