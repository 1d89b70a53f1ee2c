using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Registry.Application;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Rollouts;

/// <summary>Rollouts over HTTP: start, follow (every step and analysis), approve, abort, promote now.</summary>
public static class RolloutsApi
{
    public static IEndpointRouteBuilder MapRolloutsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/registry/rollouts").WithTags("Rollouts");
        api.MapPost("", Start);
        api.MapGet("", List);
        api.MapGet("/{id:guid}", Get);
        api.MapPost("/{id:guid}/approve", Approve);
        api.MapPost("/{id:guid}/abort", Abort);
        api.MapPost("/{id:guid}/promote", Promote);
        return routes;
    }

    static async Task<Results<Accepted<object>, ValidationProblem, ProblemHttpResult>> Start(
        StartRolloutRequest body, ModelRegistry registry, IQuerySagaRepository<RolloutState> query, ILoadSagaRepository<RolloutState> load,
        IPublishEndpoint bus, IOptions<RolloutOptions> options, CancellationToken ct)
    {
        var errors = RolloutDecisions.Validate(body.Steps, body.AnalysisInterval, body.Thresholds, body.FailureLimit ?? 0, body.ConsecutiveSuccesses ?? 1);
        if (string.IsNullOrWhiteSpace(body.ModelName) || !ModelDecisions.NamePattern().IsMatch(body.ModelName)) errors["modelName"] = ["modelName is required and must be a model name"];
        if (string.IsNullOrWhiteSpace(body.CandidateVersion)) errors["candidateVersion"] = ["candidateVersion is required"];
        if (string.IsNullOrWhiteSpace(body.RequestedBy)) errors["requestedBy"] = ["requestedBy is required"];
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The rollout request is invalid");
        }

        var model = await registry.GetAsync(body.ModelName!, cancellationToken: ct);
        var version = model?.Versions.GetValueOrDefault(body.CandidateVersion!);
        if (model is null || version is null || version.Archived || model.VersionOf(ModelAliases.Champion) == body.CandidateVersion)
        {
            var (field, problem) = model is null ? ("modelName", $"model '{body.ModelName}' is not registered")
                : version is null ? ("candidateVersion", $"version {body.CandidateVersion} of {body.ModelName} is not registered")
                : version.Archived ? ("candidateVersion", $"version {body.CandidateVersion} is archived")
                : ("candidateVersion", $"version {body.CandidateVersion} already is the champion");
            return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [problem] })
            {
                Title = "The rollout cannot start", Status = StatusCodes.Status422UnprocessableEntity,
            });
        }

        if (await ActiveRolloutOfAsync(body.ModelName!, query, load) is { } active)
        {
            return TypedResults.Problem($"Rollout {active.CorrelationId} of {active.Request!.CandidateVersion} is still {active.CurrentState}; abort it or let it finish first.",
                statusCode: StatusCodes.Status409Conflict, title: "A rollout of this model is under way");
        }

        // The canary traffic goes to the challenger alias: the candidate must hold it, by the registry's own policy.
        if (await AssignAsync(body, model, ModelAliases.Challenger, "challenger for a rollout", registry, ct) is { } notChallenger)
        {
            return notChallenger;
        }

        if (body.Thresholds!.MaxDivergence is not null && await MirrorCandidateAsync(body, registry, options.Value, ct) is { } refused)
        {
            return refused;
        }

        var rolloutId = NewId.NextGuid();
        await bus.Publish(new StartRollout
        {
            RolloutId = rolloutId, ModelName = body.ModelName!, CandidateVersion = body.CandidateVersion!, Steps = body.Steps!, AnalysisInterval = body.AnalysisInterval!.Value,
            Thresholds = body.Thresholds!, FailureLimit = body.FailureLimit ?? 0, ConsecutiveSuccesses = body.ConsecutiveSuccesses ?? 1, RequestedBy = body.RequestedBy!,
        }, ct);
        return TypedResults.Accepted($"/api/registry/rollouts/{rolloutId}", (object)new { rolloutId });
    }

    // Divergence is measured by the gateway on champion requests mirrored to the shadow: without the candidate as the
    // shadow every analysis of it would be inconclusive and the rollout would only pause. The rollout makes the candidate
    // the shadow (by the registry's own promotion path) and mirrors a share of the champion's traffic to it; the saga
    // turns the mirror off when the rollout ends.
    static async Task<ProblemHttpResult?> MirrorCandidateAsync(StartRolloutRequest body, ModelRegistry registry, RolloutOptions options, CancellationToken ct)
    {
        var model = (await registry.GetAsync(body.ModelName!, cancellationToken: ct))!;
        if (await AssignAsync(body, model, ModelAliases.Shadow, "shadow for the rollout's divergence analysis (thresholds.maxDivergence)", registry, ct) is { } notShadow)
        {
            return notShadow;
        }

        var current = (await registry.GetAsync(body.ModelName!, cancellationToken: ct))!;
        if (current.ShadowPercent < options.DivergenceMirrorPercent)
        {
            await registry.SetTrafficSplitAsync(new SetTrafficSplit
            {
                // The challenger keeps the share it serves now (its recorded one, else the policy's for a new challenger):
                // the mirror must not move canary traffic before the rollout's first step does.
                ModelName = body.ModelName!, ChallengerPercent = current.ChallengerPercent ?? current.Policy.ChallengerTrafficPercent, ShadowPercent = options.DivergenceMirrorPercent,
                RequestedBy = body.RequestedBy!, Reason = "mirror the candidate for the rollout's divergence analysis",
            }, ct);
        }

        return null;
    }

    // The candidate takes an alias by the registry's own promotion path (its policy, its approvals); null once it holds it.
    static async Task<ProblemHttpResult?> AssignAsync(StartRolloutRequest body, ModelState model, string alias, string reason, ModelRegistry registry, CancellationToken ct)
    {
        if (model.VersionOf(alias) == body.CandidateVersion)
        {
            return null;
        }

        var outcome = await registry.RequestPromotionAsync(new RequestPromotion
        {
            ModelName = body.ModelName!, Version = body.CandidateVersion!, Alias = alias, RequestedBy = body.RequestedBy!, Reason = reason, ExpectedRevision = model.Revision,
        }, ct);
        return outcome.Status == PromotionOutcome.Promoted
            ? null
            : TypedResults.Problem(
                outcome.Status == PromotionOutcome.PendingApproval
                    ? $"Making {body.CandidateVersion} the {alias} ({reason}) needs approval (promotion {outcome.PromotionId}: {outcome.ApprovalReason}); approve it, then start the rollout."
                    : $"The promotion policy refused {body.CandidateVersion} as {alias} ({reason}): {string.Join("; ", outcome.FailedCriteria)}",
                statusCode: StatusCodes.Status409Conflict, title: $"The candidate cannot become the {alias}");
    }

    static async Task<Ok<IReadOnlyList<RolloutView>>> List(string? model, IQuerySagaRepository<RolloutState> query, ILoadSagaRepository<RolloutState> load)
    {
        var views = new List<RolloutView>();
        foreach (var state in AllStates)
        {
            foreach (var id in await query.Find(RolloutAnalysisSweeper.InState(state)))
            {
                if (await load.Load(id) is { Request: not null } rollout && (model is null || rollout.Request.ModelName == model))
                {
                    views.Add(RolloutView.Of(rollout));
                }
            }
        }

        return TypedResults.Ok((IReadOnlyList<RolloutView>)views.OrderByDescending(v => v.StartedAt).ToList());
    }

    static async Task<Results<Ok<RolloutView>, NotFound>> Get(Guid id, ILoadSagaRepository<RolloutState> load) =>
        await load.Load(id) is { Request: not null } rollout ? TypedResults.Ok(RolloutView.Of(rollout)) : TypedResults.NotFound();

    static Task<Results<Accepted, NotFound, ValidationProblem, ProblemHttpResult>> Approve(Guid id, RolloutActionRequest? body, ILoadSagaRepository<RolloutState> load, IPublishEndpoint bus, CancellationToken ct) =>
        ActAsync(id, body, load, [nameof(RolloutStateMachine.Paused)], "approve",
            (by, reason) => bus.Publish(new ApproveRollout { RolloutId = id, ApprovedBy = by, Reason = reason }, ct));

    static Task<Results<Accepted, NotFound, ValidationProblem, ProblemHttpResult>> Abort(Guid id, RolloutActionRequest? body, ILoadSagaRepository<RolloutState> load, IPublishEndpoint bus, CancellationToken ct) =>
        ActAsync(id, body, load, [nameof(RolloutStateMachine.Progressing), nameof(RolloutStateMachine.Analysing), nameof(RolloutStateMachine.Paused)], "abort",
            (by, reason) => bus.Publish(new AbortRollout { RolloutId = id, RequestedBy = by, Reason = reason }, ct));

    static Task<Results<Accepted, NotFound, ValidationProblem, ProblemHttpResult>> Promote(Guid id, RolloutActionRequest? body, ILoadSagaRepository<RolloutState> load, IPublishEndpoint bus, CancellationToken ct) =>
        ActAsync(id, body, load, [nameof(RolloutStateMachine.Progressing), nameof(RolloutStateMachine.Analysing), nameof(RolloutStateMachine.Paused)], "promote",
            (by, reason) => bus.Publish(new PromoteRollout { RolloutId = id, RequestedBy = by, Reason = reason }, ct));

    static async Task<Results<Accepted, NotFound, ValidationProblem, ProblemHttpResult>> ActAsync(
        Guid id, RolloutActionRequest? body, ILoadSagaRepository<RolloutState> load, string[] allowedIn, string action, Func<string, string, Task> send)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body?.By)) errors["by"] = ["by (who acts) is required"];
        if (string.IsNullOrWhiteSpace(body?.Reason)) errors["reason"] = ["reason is required"];
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: $"The {action} request is invalid");
        }

        var rollout = await load.Load(id);
        if (rollout?.Request is null)
        {
            return TypedResults.NotFound();
        }

        if (!allowedIn.Contains(rollout.CurrentState))
        {
            return TypedResults.Problem($"A rollout that is {rollout.CurrentState} cannot {action}; possible while {string.Join(", ", allowedIn)}.",
                statusCode: StatusCodes.Status409Conflict, title: $"Cannot {action} now");
        }

        await send(body!.By!, body.Reason!);
        return TypedResults.Accepted($"/api/registry/rollouts/{id}");
    }

    static readonly string[] AllStates =
    [
        nameof(RolloutStateMachine.Progressing), nameof(RolloutStateMachine.Analysing), nameof(RolloutStateMachine.Paused), nameof(RolloutStateMachine.Promoting),
        nameof(RolloutStateMachine.Promoted), nameof(RolloutStateMachine.RolledBack), nameof(RolloutStateMachine.Aborted), nameof(RolloutStateMachine.AwaitingPromotionApproval),
    ];

    static async Task<RolloutState?> ActiveRolloutOfAsync(string model, IQuerySagaRepository<RolloutState> query, ILoadSagaRepository<RolloutState> load)
    {
        foreach (var state in RolloutStateMachine.ActiveStates)
        {
            foreach (var id in await query.Find(RolloutAnalysisSweeper.InState(state)))
            {
                if (await load.Load(id) is { Request: not null } rollout && rollout.Request.ModelName == model && RolloutStateMachine.ActiveStates.Contains(rollout.CurrentState))
                {
                    return rollout;
                }
            }
        }

        return null;
    }
}
