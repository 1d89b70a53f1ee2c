using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Mlops.Contracts.Registry;
using Mlops.Registry.Application;
using Mlops.Registry.Artifacts;
using Mlops.Registry.Cards;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Api;

/// <summary>The operators' HTTP API under <c>/api/registry</c> (the gateway forwards the prefix unchanged).</summary>
public static class RegistryApi
{
    public const string TamperedProblemType = "urn:mlops:registry:artifact-tampered";

    public static IEndpointRouteBuilder MapRegistryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/registry");
        api.MapPost("/artifacts", UploadArtifact);
        api.MapGet("/artifacts/{sha256}", DownloadArtifact);
        api.MapGet("/models", ListModels);
        api.MapGet("/models/{name}", GetModel);
        api.MapGet("/models/{name}/aliases/{alias}", GetAlias);
        api.MapGet("/models/{name}/deployment", (string name, DateTimeOffset? asOf, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => TypedResults.Ok((await Require(registry, name, asOf, ct)).Deployment)));
        api.MapGet("/models/{name}/history", (string name, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => TypedResults.Ok(ModelCardGenerator.Timeline(await HistoryAsync(registry, name, ct)))));
        api.MapPost("/models/{name}/versions", Register);
        api.MapGet("/models/{name}/versions/{version}", (string name, string version, DateTimeOffset? asOf, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => (await Require(registry, name, asOf, ct)).Versions.GetValueOrDefault(version) is { } v
                ? TypedResults.Ok(v)
                : throw new RegistryNotFoundException($"Model '{name}' has no version {version}.")));
        api.MapGet("/models/{name}/versions/{version}/history", (string name, string version, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => TypedResults.Ok(ModelCardGenerator.Timeline(await HistoryAsync(registry, name, ct), version))));
        api.MapGet("/models/{name}/versions/{version}/card", (string name, string version, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => TypedResults.Ok(await CardAsync(registry, name, version, ct))));
        api.MapGet("/models/{name}/versions/{version}/card.md", (string name, string version, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => TypedResults.Text(ModelCardGenerator.Markdown(await CardAsync(registry, name, version, ct)), "text/markdown; charset=utf-8")));
        api.MapPost("/models/{name}/versions/{version}/archive", (string name, string version, DecisionRequest body, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => Revision(await registry.ArchiveAsync(name, version, body.By ?? "", body.Reason ?? "", ct))));
        // Out of service: no alias, no route (inference unloads it; new pods do not load it). Versions stay, history too.
        api.MapPost("/models/{name}/retire", (string name, DecisionRequest body, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => Revision(await registry.RetireAsync(name, body.By ?? "", body.Reason ?? "", ct))));
        api.MapPut("/models/{name}/policy", (string name, PolicyRequest body, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => body.Policy is null
                ? throw RegistryValidationException.For("policy", "is required")
                : Revision(await registry.SetPolicyAsync(name, body.Policy, body.ChangedBy ?? "", body.Reason ?? "", ct))));
        api.MapPut("/models/{name}/traffic", SetTrafficSplit);
        api.MapPost("/models/{name}/promotions", Promote);
        api.MapPost("/models/{name}/promotions/{id:guid}/approve", (string name, Guid id, DecisionRequest body, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => Revision(await registry.ApproveAsync(new ApprovePromotion { ModelName = name, PromotionId = id, ApprovedBy = body.By ?? "", Reason = body.Reason ?? "" }, ct))));
        api.MapPost("/models/{name}/promotions/{id:guid}/reject", (string name, Guid id, DecisionRequest body, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => Revision(await registry.RejectAsync(new RejectPromotion { ModelName = name, PromotionId = id, RejectedBy = body.By ?? "", Reason = body.Reason ?? "" }, ct))));
        api.MapPost("/models/{name}/rollback", (string name, RollBackRequest body, ModelRegistry registry, CancellationToken ct) =>
            Guard(async () => Revision(await registry.RollBackAsync(
                new RollBack { ModelName = name, Alias = body.Alias ?? ModelAliases.Champion, RequestedBy = body.RequestedBy ?? "", Reason = body.Reason ?? "" }, ct))));
        return app;
    }

    static async Task<IResult> UploadArtifact(HttpRequest request, ArtifactStore artifacts, RegistryOptions options, CancellationToken ct)
    {
        if (request.ContentLength is > 0 && request.ContentLength > options.MaxArtifactBytes)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"is larger than {options.MaxArtifactBytes} bytes"] });
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length == 0)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["is empty; send the artifact bytes"] });
        }

        var sha = await artifacts.PutAsync(buffer.ToArray(), ct);
        return TypedResults.Created($"/api/registry/artifacts/{sha}", new ArtifactStored(sha, buffer.Length));
    }

    static async Task<IResult> DownloadArtifact(string sha256, ArtifactStore artifacts, HttpResponse response, CancellationToken ct)
    {
        try
        {
            var content = await artifacts.GetAsync(sha256, ct);
            if (content is null)
            {
                return TypedResults.Problem($"No artifact {sha256}.", statusCode: StatusCodes.Status404NotFound);
            }

            response.Headers["X-Content-SHA256"] = sha256;
            return TypedResults.File(content, "application/octet-stream", fileDownloadName: sha256 + ".onnx");
        }
        catch (ArtifactTamperedException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status500InternalServerError, title: "Artifact integrity check failed", type: TamperedProblemType);
        }
    }

    /// <summary>Every model now (from the inline projection), or as of a past time (each stream replayed up to it).</summary>
    static Task<IResult> ListModels(DateTimeOffset? asOf, ModelRegistry registry, CancellationToken ct) =>
        Guard(async () =>
        {
            var current = await registry.ListAsync(ct);
            if (asOf is null)
            {
                return TypedResults.Ok(current);
            }

            // Models are never deleted, so today's catalogue names every model that existed then.
            var past = new List<ModelSummary>();
            foreach (var model in current)
            {
                if (await registry.GetAsync(model.Name, asOf, ct) is { } state)
                {
                    past.Add(new ModelSummary(state.Name, state.Revision, state.VersionOf(ModelAliases.Champion), state.UpdatedAt!.Value));
                }
            }

            return TypedResults.Ok(past);
        });

    /// <summary>The state now, as of a past time (<c>asOf</c>), or right after a revision (<c>revision</c>).</summary>
    static Task<IResult> GetModel(string name, DateTimeOffset? asOf, long? revision, ModelRegistry registry, CancellationToken ct) =>
        Guard(async () => revision switch
        {
            null => TypedResults.Ok(await Require(registry, name, asOf, ct)),
            < 1 => throw RegistryValidationException.For("revision", "must be 1 or more"),
            { } r => TypedResults.Ok(await registry.GetAtRevisionAsync(name, r, ct)
                ?? throw new RegistryNotFoundException($"Model '{name}' has no revision {r}.")),
        });

    static Task<IResult> GetAlias(string name, string alias, DateTimeOffset? asOf, ModelRegistry registry, CancellationToken ct) =>
        Guard(async () =>
        {
            var state = await Require(registry, name, asOf, ct);
            return TypedResults.Ok(new AliasAsOf(name, alias, state.VersionOf(alias), state.Revision, asOf));
        });

    static Task<IResult> Register(string name, RegisterVersionRequest body, ModelRegistry registry, CancellationToken ct) =>
        Guard(async () =>
        {
            var revision = await registry.RegisterAsync(new RegisterModelVersion
            {
                ModelName = name, Version = body.Version!, ArtifactSha256 = body.ArtifactSha256!, Signature = body.Signature!, Metrics = body.Metrics!,
                DatasetVersion = body.DatasetVersion!, FeatureSetVersion = body.FeatureSetVersion!, TrainingRunId = body.TrainingRunId!,
                CodeVersion = body.CodeVersion!, RegisteredBy = body.RegisteredBy!, IntendedUse = body.IntendedUse, Limitations = body.Limitations,
                Description = body.Description,
            }, ct);
            return TypedResults.Created($"/api/registry/models/{name}/versions/{body.Version}", new { model = name, version = body.Version, revision });
        });

    static Task<IResult> Promote(string name, PromotionRequest body, ModelRegistry registry, CancellationToken ct) =>
        Guard(async () =>
        {
            var outcome = await registry.RequestPromotionAsync(new RequestPromotion
            {
                ModelName = name, Version = body.Version!, Alias = body.Alias!, RequestedBy = body.RequestedBy!, Reason = body.Reason!,
                ExpectedRevision = body.ExpectedRevision,
            }, ct);
            return outcome.Status switch
            {
                PromotionOutcome.Rejected => TypedResults.Problem(new ProblemDetails
                {
                    Status = StatusCodes.Status422UnprocessableEntity,
                    Title = "Promotion refused by the policy",
                    Detail = string.Join("; ", outcome.FailedCriteria),
                    Extensions = { ["promotionId"] = outcome.PromotionId, ["failedCriteria"] = outcome.FailedCriteria, ["revision"] = outcome.Revision },
                }),
                PromotionOutcome.PendingApproval => TypedResults.Accepted($"/api/registry/models/{name}/promotions/{outcome.PromotionId}", outcome),
                _ => TypedResults.Ok(outcome),
            };
        });

    /// <summary>
    /// The challenger's share and the shadow's mirrored share (the rollout saga sends the same as <c>SetTrafficSplit</c>);
    /// answers the revision and the deployment that results.
    /// </summary>
    static Task<IResult> SetTrafficSplit(string name, TrafficSplitRequest body, ModelRegistry registry, CancellationToken ct) =>
        Guard(async () =>
        {
            if (body.ChallengerPercent is null)
            {
                throw RegistryValidationException.For("challengerPercent", "is required (0–100)");
            }

            var revision = await registry.SetTrafficSplitAsync(new SetTrafficSplit
            {
                ModelName = name, ChallengerPercent = body.ChallengerPercent.Value, ShadowPercent = body.ShadowPercent ?? 0,
                RequestedBy = body.RequestedBy ?? "", Reason = body.Reason ?? "", CorrelationId = body.CorrelationId,
            }, ct);
            var state = await registry.GetAtRevisionAsync(name, revision, ct);
            return TypedResults.Ok(new TrafficSplitResponse(revision, state?.Deployment ?? []));
        });

    static async Task<IReadOnlyList<RecordedEvent>> HistoryAsync(ModelRegistry registry, string name, CancellationToken ct)
    {
        var events = await registry.HistoryAsync(name, ct);
        return events.Count > 0 ? events : throw new RegistryNotFoundException($"Model '{name}' is not registered.");
    }

    static async Task<ModelCard> CardAsync(ModelRegistry registry, string name, string version, CancellationToken ct)
    {
        var events = await HistoryAsync(registry, name, ct);
        return ModelCardGenerator.Card(ModelState.Replay(name, events), version, events);
    }

    static async Task<ModelState> Require(ModelRegistry registry, string name, DateTimeOffset? asOf, CancellationToken ct) =>
        await registry.GetAsync(name, asOf, ct)
        ?? throw new RegistryNotFoundException(asOf is null ? $"Model '{name}' is not registered." : $"Model '{name}' was not registered at {asOf:O}.");

    static Ok<RevisionResponse> Revision(long revision) => TypedResults.Ok(new RevisionResponse(revision));

    /// <summary>Maps the registry's refusals to problem details: 400 naming every bad field, 404, 409 on a concurrent change.</summary>
    static async Task<IResult> Guard(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (RegistryValidationException ex)
        {
            return TypedResults.ValidationProblem(ex.Errors);
        }
        catch (RegistryNotFoundException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status404NotFound);
        }
        catch (ConcurrencyConflictException ex)
        {
            return TypedResults.Problem(new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "The model changed concurrently",
                Detail = $"The model is at revision {ex.ActualVersion}, not {ex.ExpectedVersion}; reload it and decide again.",
                Extensions = { ["expectedRevision"] = ex.ExpectedVersion, ["actualRevision"] = ex.ActualVersion },
            });
        }
    }
}

public sealed record RevisionResponse(long Revision);

public sealed record TrafficSplitResponse(long Revision, IReadOnlyList<TrafficRoute> Routes);
