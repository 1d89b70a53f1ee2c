using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Retraining;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Monitoring.Api;

/// <summary>Retraining: ask for one by hand; follow every request (accepted or debounced) and every step with its evidence.</summary>
public static class RetrainingApi
{
    /// <summary>Body of <c>POST /api/monitoring/retraining</c>.</summary>
    public sealed record RetrainingRequestBody(string? ModelName, string? Reason, string? RequestedBy);

    const int MaxListed = 200;

    public static IEndpointRouteBuilder MapRetrainingApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/monitoring/retraining").WithTags("Retraining");
        api.MapPost("/", Request);
        api.MapGet("/", List);
        api.MapGet("/{id:guid}", Get);
        api.MapGet("/models/{model}", ModelStatus);
        return routes;
    }

    static async Task<Results<Accepted<RetrainingAcceptedBody>, ValidationProblem, NotFound<Microsoft.AspNetCore.Mvc.ProblemDetails>>> Request(
        RetrainingRequestBody? body, RegistryClient registry, ISendEndpointProvider endpoints, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        InputText.CheckIdentifier(errors, "modelName", body?.ModelName);
        InputText.CheckFreeText(errors, "reason", body?.Reason, required: true);
        InputText.CheckIdentifier(errors, "requestedBy", body?.RequestedBy);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The retraining request is invalid");
        }

        // A registry that does not answer throws a transient failure: 503 with Retry-After, never a refusal.
        if (!await registry.ExistsAsync(body!.ModelName!, ct))
        {
            return TypedResults.NotFound(new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Title = "Unknown model", Status = StatusCodes.Status404NotFound, Detail = $"modelName: model '{body.ModelName}' is not registered",
            });
        }

        var id = NewId.NextGuid();
        await RetrainingRequests.SendAsync(endpoints, RetrainingRequests.Create(id, body.ModelName!, RetrainingTriggers.Manual, body.Reason!, body.RequestedBy!,
            new Dictionary<string, string>(), clock.GetUtcNow()), ct);
        return TypedResults.Accepted($"/api/monitoring/retraining/{id}", new RetrainingAcceptedBody(id));
    }

    /// <summary>The request id; the request is debounced or becomes a retraining with this id (see its Location).</summary>
    public sealed record RetrainingAcceptedBody(Guid RequestId);

    static async Task<Ok<IReadOnlyList<RetrainingView>>> List(string? model, RetrainingStore store, ILoadSagaRepository<RetrainingState> sagas, CancellationToken ct)
    {
        var views = new List<RetrainingView>();
        foreach (var record in await store.ListAsync(model, MaxListed, ct))
        {
            views.Add(RetrainingView.Of(record, record.Status == RetrainingStore.Accepted ? await sagas.Load(record.RequestId) : null));
        }

        return TypedResults.Ok((IReadOnlyList<RetrainingView>)views);
    }

    static async Task<Results<Ok<RetrainingModelStatus>, NotFound>> ModelStatus(string model, RetrainingStore store, CancellationToken ct) =>
        await store.ModelStatusAsync(model, ct) is { } status ? TypedResults.Ok(status) : TypedResults.NotFound();

    static async Task<Results<Ok<RetrainingView>, NotFound>> Get(Guid id, RetrainingStore store, ILoadSagaRepository<RetrainingState> sagas, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } record
            ? TypedResults.Ok(RetrainingView.Of(record, record.Status == RetrainingStore.Accepted ? await sagas.Load(id) : null))
            : TypedResults.NotFound();
}

/// <summary>A retraining request and, when accepted, its retraining: state, every step with its evidence, the outcome.</summary>
public sealed record RetrainingView(
    Guid Id, string ModelName, string Trigger, string Reason, string RequestedBy, IReadOnlyDictionary<string, string> Evidence, DateTimeOffset RequestedAt,
    string Status, string? DebounceReason, Guid? BlockingRetrainingId, string? State, string? Outcome, string? OutcomeReason, string? ChampionVersion,
    string? CandidateVersion, RetrainingComparison? Comparison, Guid? RolloutId, DateTimeOffset? DeadlineAt, DateTimeOffset? FinishedAt,
    IReadOnlyList<RetrainingStepRecord> Steps)
{
    public static RetrainingView Of(RetrainingRequestRecord r, RetrainingState? s) => new(
        r.RequestId, r.ModelName, r.Trigger, r.Reason, r.RequestedBy, r.Evidence, r.RequestedAt, r.Status, r.DebounceReason, r.BlockingRetrainingId,
        s?.CurrentState, s?.Outcome, s?.Reason, s?.Plan?.ChampionVersion, s?.CandidateVersion, s?.Comparison, s?.RolloutId, s?.DeadlineAt, s?.FinishedAt,
        s?.Steps ?? []);
}
