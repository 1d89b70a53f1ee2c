using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Kafka.DeadLetters;

/// <summary>
/// List, inspect and replay the platform's dead letters. One service maps it (ingestion, under
/// <c>/api/ingestion/deadletters</c>): there is one dead-letter topic for every consumer, so one replay log.
/// </summary>
public static class DeadLetterApi
{
    /// <summary>Who replays and why; both recorded in the replay log.</summary>
    public sealed record ReplayRequest(string? By, string? Reason);

    const int MaxLimit = 1000;

    /// <summary>Maps the endpoints under <paramref name="prefix"/>.</summary>
    public static IEndpointRouteBuilder MapDeadLetterApi(this IEndpointRouteBuilder routes, string prefix)
    {
        var api = routes.MapGroup(prefix).WithTags("Dead letters");
        api.MapGet("/", ListDeadLetters);
        api.MapGet("/replays", ListReplays);
        api.MapGet("/watermark", GetWatermark);
        api.MapGet("/{id}", GetDeadLetter);
        api.MapPost("/{id}/replay", ReplayDeadLetter);
        return routes;
    }

    static async Task<Results<Ok<IReadOnlyList<DeadLetterEntry>>, ValidationProblem>> ListDeadLetters(
        DeadLetterReplayer replayer, string? topic, string? group, string? kind, int? limit, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string[]>();
        foreach (var (field, value) in new[] { ("topic", topic), ("group", group), ("kind", kind) })
        {
            if (InputText.IdentifierProblem(field, value) is { } problem)
            {
                problems[field] = [problem];
            }
        }

        if (limit is < 1 or > MaxLimit)
        {
            problems["limit"] = [$"limit must be between 1 and {MaxLimit}"];
        }

        return problems.Count > 0
            ? TypedResults.ValidationProblem(problems, title: "The query is invalid")
            : TypedResults.Ok(await replayer.ListAsync(topic, group, kind, limit ?? 100, cancellationToken));
    }

    static async Task<Results<Ok<IReadOnlyList<DeadLetterReplay>>, ValidationProblem>> ListReplays(
        DeadLetterReplayer replayer, DeadLetterReplayLog log, int? limit, CancellationToken cancellationToken) =>
        limit is < 1 or > MaxLimit
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"limit must be between 1 and {MaxLimit}"] }, title: "The query is invalid")
            : TypedResults.Ok<IReadOnlyList<DeadLetterReplay>>([.. (await log.ListAsync(replayer.Topic, null, limit ?? 100, cancellationToken)).Select(r => r.Replay)]);

    static async Task<Ok<DeadLetterWatermark>> GetWatermark(DeadLetterReader reader, CancellationToken cancellationToken)
    {
        var ends = await reader.EndsAsync(cancellationToken);
        return TypedResults.Ok(new DeadLetterWatermark(reader.Topic, ends.Values.Sum(), ends));
    }

    static async Task<Results<Ok<DeadLetterEntry>, ProblemHttpResult, ValidationProblem>> GetDeadLetter(
        string id, DeadLetterReplayer replayer, CancellationToken cancellationToken)
    {
        if (!DeadLetterId.TryParse(id, out var deadLetterId))
        {
            return InvalidId(id);
        }

        return await replayer.GetAsync(deadLetterId, cancellationToken) is { } entry ? TypedResults.Ok(entry) : NotFound(id, replayer.Topic);
    }

    static async Task<Results<Ok<DeadLetterReplay>, ProblemHttpResult, ValidationProblem>> ReplayDeadLetter(
        string id, ReplayRequest? request, DeadLetterReplayer replayer, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string[]>();
        if (!DeadLetterId.TryParse(id, out var deadLetterId))
        {
            problems["id"] = [$"'{id}' is not a dead-letter id; ids look like 0-42 (partition-offset on the dead-letter topic)"];
        }

        Require(problems, "by", request?.By, 200, "who replays (a person or tool) is required for the replay log");
        Require(problems, "reason", request?.Reason, 2000, "why the record is replayed (e.g. the fix it now meets) is required for the replay log");
        if (problems.Count > 0)
        {
            return TypedResults.ValidationProblem(problems, title: "The replay request is invalid");
        }

        try
        {
            return await replayer.ReplayAsync(deadLetterId, request!.By!.Trim(), request.Reason!.Trim(), cancellationToken) is { } replay
                ? TypedResults.Ok(replay)
                : NotFound(id, replayer.Topic);
        }
        catch (DeadLetterNotReplayableException ex)
        {
            return TypedResults.Problem(title: "The dead letter cannot be replayed", detail: ex.Message, statusCode: StatusCodes.Status409Conflict);
        }
    }

    static void Require(Dictionary<string, string[]> problems, string field, string? value, int maxLength, string missing)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems[field] = [missing];
        }
        else if (value.Length > maxLength)
        {
            problems[field] = [$"{field} has {value.Length} characters; at most {maxLength} are allowed"];
        }
        else if (InputText.FreeTextProblem(field, value) is { } problem)
        {
            problems[field] = [problem];
        }
    }

    static ValidationProblem InvalidId(string id) => TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { ["id"] = [$"'{id}' is not a dead-letter id; ids look like 0-42 (partition-offset on the dead-letter topic)"] },
        title: "The request is invalid");

    static ProblemHttpResult NotFound(string id, string topic) =>
        TypedResults.Problem(title: "Unknown dead letter", detail: $"there is no dead letter {id} on {topic}", statusCode: StatusCodes.Status404NotFound);
}
