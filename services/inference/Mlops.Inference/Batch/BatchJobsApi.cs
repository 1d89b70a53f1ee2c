using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Inference.Batch;

/// <summary>Batch inference over a dataset version, under <c>/api/inference/batch-jobs</c>.</summary>
public static partial class BatchJobsApi
{
    /// <summary>A job request.</summary>
    /// <param name="Model">Model name.</param>
    /// <param name="Version">Model version; none = the champion's, resolved now and recorded.</param>
    /// <param name="DatasetVersion">Ingestion dataset version whose entities are scored.</param>
    /// <param name="Times">ISO 8601 times every entity is scored at (features as of and known by each).</param>
    /// <param name="LabelTimes">Score at every label time instead (labels recorded by the dataset version's snapshot).</param>
    /// <param name="LabelName">The label whose times count; none = <see cref="BatchJobOptions.LabelName"/>.</param>
    /// <param name="OutputTopic">Kafka topic each row is also sent to.</param>
    public sealed record BatchJobRequest(
        string? Model, string? Version, string? DatasetVersion, IReadOnlyList<string?>? Times, bool? LabelTimes, string? LabelName, string? OutputTopic);

    /// <summary>Chunk progress.</summary>
    public sealed record ChunkProgress(int Total, int Done);

    /// <summary>A job as the API shows it.</summary>
    public sealed record BatchJobResponse(
        string Id, string Model, string Version, string ArtifactSha256, string? FeatureSetVersion, string DatasetVersion,
        IReadOnlyList<DateTimeOffset>? Times, string? LabelName, string? OutputTopic, string State, string? Error,
        ChunkProgress Chunks, int Entities, long Rows, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, DateTimeOffset? ResultsExpiredAt = null);

    public static IEndpointRouteBuilder MapBatchJobsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/inference/batch-jobs").WithTags("Batch inference");
        api.MapPost("/", CreateAsync);
        api.MapGet("/", ListAsync);
        api.MapGet("/{id}", GetAsync);
        api.MapGet("/{id}/results", ResultsAsync);
        api.MapPost("/{id}/cancel", CancelAsync);
        return routes;
    }

    static async Task<Results<Accepted<BatchJobResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        BatchJobRequest? request, BatchJobPlanner planner, IOptions<BatchJobOptions> options, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["body"] = ["the request body is missing: send a JSON object with model, datasetVersion, and times or labelTimes"] },
                title: "The batch job request is invalid");
        }

        var settings = options.Value;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        InputText.CheckIdentifier(errors, "model", request?.Model);
        InputText.CheckIdentifier(errors, "version", request?.Version, required: false);
        InputText.CheckIdentifier(errors, "datasetVersion", request?.DatasetVersion);
        var times = new List<DateTimeOffset>();
        var labelTimes = request?.LabelTimes == true;
        var given = request?.Times ?? [];
        if (labelTimes == given.Count > 0)
        {
            errors["times"] = ["give times (one or more ISO 8601 times) or labelTimes: true, not both"];
        }
        else if (given.Count > settings.MaxTimes)
        {
            errors["times"] = [$"times names {given.Count} times; at most {settings.MaxTimes}"];
        }
        else
        {
            for (var i = 0; i < given.Count; i++)
            {
                if (given[i] is not { } text || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
                {
                    errors[$"times[{i}]"] = [$"times[{i}] is not an ISO 8601 time (e.g. 2026-11-01T08:30:00Z)"];
                }
                else
                {
                    times.Add(time);
                }
            }
        }

        if (request?.LabelName is not null && !labelTimes)
        {
            errors["labelName"] = ["labelName applies only with labelTimes: true"];
        }
        else
        {
            InputText.CheckIdentifier(errors, "labelName", request?.LabelName, required: false);
        }

        if (request?.OutputTopic is { } topic && !TopicPattern().IsMatch(topic))
        {
            errors["outputTopic"] = ["outputTopic must be a Kafka topic name: 1-249 letters, digits, '.', '_' or '-'"];
        }
        else if (request?.OutputTopic is { } named && !named.StartsWith(settings.OutputTopicPrefix, StringComparison.Ordinal))
        {
            errors["outputTopic"] = [$"outputTopic must start with '{settings.OutputTopicPrefix}' (Inference:BatchJobs:OutputTopicPrefix): a job never writes into another topic"];
        }

        if (errors.Count > 0 || request is null)
        {
            return TypedResults.ValidationProblem(errors, title: "The batch job request is invalid");
        }

        var spec = new BatchJobSpec(request.Model!, request.Version, request.DatasetVersion!, labelTimes ? null : times,
            labelTimes ? request.LabelName ?? settings.LabelName : null, request.OutputTopic);
        BatchJobPlanner.Outcome outcome;
        try
        {
            outcome = await planner.PlanAsync(spec, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return TypedResults.Problem(title: "A dependency did not answer", detail: $"The job was not created: {ex.Message}; retry.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        if (outcome.Job is not { } job)
        {
            var status = outcome.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest;
            return TypedResults.Problem(title: outcome.NotFound ? "Not found" : "The batch job request is invalid", detail: outcome.Problem, statusCode: status,
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [outcome.Field!] = [outcome.Problem!] } });
        }

        return TypedResults.Accepted($"/api/inference/batch-jobs/{job.JobId}", Response(job));
    }

    static async Task<Ok<List<BatchJobResponse>>> ListAsync(BatchJobStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok((await store.ListAsync(100, cancellationToken)).Select(Response).ToList());

    static async Task<Results<Ok<BatchJobResponse>, ProblemHttpResult>> GetAsync(string id, BatchJobStore store, CancellationToken cancellationToken)
    {
        if (InputText.IdentifierProblem("id", id) is { } problem)
        {
            return TypedResults.Problem(title: "The job id is invalid", detail: problem, statusCode: StatusCodes.Status400BadRequest);
        }

        return await store.FindAsync(id, cancellationToken) is { } job
            ? TypedResults.Ok(Response(job))
            : TypedResults.Problem(title: "Unknown batch job", detail: $"no batch job '{id}'", statusCode: StatusCodes.Status404NotFound);
    }

    /// <summary>
    /// Cancels a planning or running job: workers skip its chunks not yet scored (a chunk being scored stops after its
    /// current batch); the rows already written stay readable. A finished job is a 409 naming its state.
    /// </summary>
    static async Task<Results<Ok<BatchJobResponse>, ProblemHttpResult>> CancelAsync(string id, BatchJobStore store, CancellationToken cancellationToken)
    {
        if (InputText.IdentifierProblem("id", id) is { } problem)
        {
            return TypedResults.Problem(title: "The job id is invalid", detail: problem, statusCode: StatusCodes.Status400BadRequest);
        }

        var cancelled = await store.CancelAsync(id, cancellationToken);
        if (await store.FindAsync(id, cancellationToken) is not { } job)
        {
            return TypedResults.Problem(title: "Unknown batch job", detail: $"no batch job '{id}'", statusCode: StatusCodes.Status404NotFound);
        }

        if (!cancelled)
        {
            return TypedResults.Problem(title: "The batch job is finished",
                detail: $"batch job '{id}' is {job.State} already; only a planning or running job can be cancelled", statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["state"] = job.State });
        }

        return TypedResults.Ok(Response(job));
    }

    /// <summary>
    /// The rows by entity and time, as NDJSON (streamed) or Parquet. A job still running answers the rows so far; the
    /// <c>X-Batch-Job-State</c> header says which.
    /// </summary>
    static async Task ResultsAsync(string id, string? format, BatchJobStore store, HttpContext context, CancellationToken cancellationToken)
    {
        format ??= "ndjson";
        if (InputText.IdentifierProblem("id", id) is { } problem)
        {
            await TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [problem] }, title: "The request is invalid").ExecuteAsync(context);
            return;
        }

        if (format is not ("ndjson" or "parquet"))
        {
            await TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["format"] = [$"format must be 'ndjson' or 'parquet', not '{(format.Length > 20 ? format[..20] : format)}'"] },
                title: "The request is invalid").ExecuteAsync(context);
            return;
        }

        if (await store.FindAsync(id, cancellationToken) is not { } job)
        {
            await TypedResults.Problem(title: "Unknown batch job", detail: $"no batch job '{id}'", statusCode: StatusCodes.Status404NotFound).ExecuteAsync(context);
            return;
        }

        if (job.ResultsExpiredAt is { } expiredAt)
        {
            await TypedResults.Problem(title: "The batch job's results were deleted",
                detail: $"the results of batch job '{id}' were deleted at {expiredAt:O}, past the retention of finished jobs' results (Inference:BatchJobs:ResultRetention); run the job again to score anew",
                statusCode: StatusCodes.Status410Gone).ExecuteAsync(context);
            return;
        }

        context.Response.Headers["X-Batch-Job-State"] = job.State;
        if (format == "ndjson")
        {
            context.Response.ContentType = "application/x-ndjson";
            await BatchResultFiles.WriteNdjsonAsync(store.ReadResultsAsync(id, cancellationToken), context.Response.Body, cancellationToken);
            return;
        }

        // Parquet's footer comes last and row groups are appended before it: written to a temporary file, then sent.
        var path = Path.Combine(Path.GetTempPath(), $"mlops-batch-{Guid.NewGuid():N}.parquet");
        await using var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await BatchResultFiles.WriteParquetAsync(store.ReadResultsAsync(id, cancellationToken), file, cancellationToken);
        context.Response.ContentType = "application/vnd.apache.parquet";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{job.JobId}.parquet\"";
        context.Response.ContentLength = file.Length;
        file.Seek(0, SeekOrigin.Begin);
        await file.CopyToAsync(context.Response.Body, cancellationToken);
    }

    static BatchJobResponse Response(BatchJob job) => new(
        job.JobId, job.ModelName, job.ModelVersion, job.ArtifactSha256, job.FeatureSetVersion, job.DatasetVersion, job.Times, job.LabelName,
        job.OutputTopic, job.State, job.Error, new ChunkProgress(job.ChunksTotal, job.ChunksDone), job.Entities, job.Rows, job.CreatedAt, job.FinishedAt, job.ResultsExpiredAt);

    [GeneratedRegex("^[a-zA-Z0-9._-]{1,249}$")]
    private static partial Regex TopicPattern();
}
