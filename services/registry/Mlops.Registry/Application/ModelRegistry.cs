using JasperFx;
using JasperFx.Events;
using Marten;
using Mlops.Contracts.Registry;
using Mlops.Registry.Artifacts;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Application;

/// <summary>Outcome of a promotion request.</summary>
public sealed record PromotionOutcome(Guid PromotionId, string Status, IReadOnlyList<string> FailedCriteria, string? ApprovalReason, long Revision)
{
    public const string Promoted = "Promoted";
    public const string PendingApproval = "PendingApproval";
    public const string Rejected = "Rejected";
}

/// <summary>
/// The I/O edge of the registry: loads a model's state from Marten, lets <see cref="ModelDecisions"/> decide, and
/// appends the events to the model's stream at the revision the decision saw. Writers in this process take turns per
/// model (<see cref="ModelStreamLocks"/>); a concurrent change from another replica makes the append fail with
/// <see cref="ConcurrencyConflictException"/> and nothing is written.
/// </summary>
public sealed class ModelRegistry(IDocumentStore store, ArtifactStore artifacts, ModelStreamLocks locks)
{
    /// <summary>The model's event stream: one per model, keyed by its name.</summary>
    public static string StreamOf(string modelName) => modelName;

    /// <summary>The state now (the inline snapshot), or as of a past time (the stream aggregated up to it).</summary>
    public async Task<ModelState?> GetAsync(string modelName, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        return asOf is { } time
            ? await session.Events.AggregateStreamAsync<ModelState>(StreamOf(modelName), timestamp: time.ToUniversalTime(), token: cancellationToken)
            : await session.LoadAsync<ModelState>(modelName, cancellationToken);
    }

    /// <summary>The state as it was right after <paramref name="revision"/> (null when the model has fewer events).</summary>
    public async Task<ModelState?> GetAtRevisionAsync(string modelName, long revision, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        return await session.Events.AggregateStreamAsync<ModelState>(StreamOf(modelName), version: revision, token: cancellationToken);
    }

    public async Task<IReadOnlyList<RecordedEvent>> HistoryAsync(string modelName, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        return StoredEvents.ToRecorded(await session.Events.FetchStreamAsync(StreamOf(modelName), token: cancellationToken));
    }

    /// <summary>Every model with its revision and champion (the inline catalogue).</summary>
    public async Task<IReadOnlyList<ModelSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        var entries = await session.Query<ModelCatalogEntry>().OrderBy(m => m.Name).ToListAsync(cancellationToken);
        return entries.Select(m => new ModelSummary(m.Name, m.Revision, m.Champion, m.UpdatedAt)).ToList();
    }

    public async Task<long> RegisterAsync(RegisterModelVersion command, CancellationToken cancellationToken = default)
    {
        var stored = ModelDecisions.Sha256Pattern().IsMatch(command.ArtifactSha256 ?? "") && await artifacts.ExistsAsync(command.ArtifactSha256!, cancellationToken);
        using var writer = await locks.EnterAsync(command.ModelName, cancellationToken);
        var state = ModelDecisions.NamePattern().IsMatch(command.ModelName ?? "") ? await GetAsync(command.ModelName!, cancellationToken: cancellationToken) : null;
        var events = ModelDecisions.Register(state, command, stored);
        return await AppendAsync(command.ModelName!, state?.Revision ?? 0, null, events, command.RegisteredBy, "registered by training run " + command.TrainingRunId, cancellationToken);
    }

    public async Task<PromotionOutcome> RequestPromotionAsync(RequestPromotion command, CancellationToken cancellationToken = default)
    {
        using var writer = await locks.EnterAsync(command.ModelName, cancellationToken);
        var state = await RequireAsync(command.ModelName, cancellationToken);
        var promotionId = Guid.CreateVersion7();
        var events = ModelDecisions.RequestPromotion(state, command, promotionId);
        var revision = await AppendAsync(state.Name, state.Revision, command.ExpectedRevision, events, command.RequestedBy, command.Reason, cancellationToken);
        var rejected = events.OfType<PromotionRejected>().FirstOrDefault();
        if (rejected is not null)
        {
            RegistryTelemetry.Refused.Add(1);
            return new PromotionOutcome(promotionId, PromotionOutcome.Rejected, rejected.FailedCriteria, null, revision);
        }

        var pending = events.OfType<PromotionRequested>().Single().RequiresApproval;
        var approvalReason = pending
            ? PromotionPolicyEvaluator.Evaluate(state.Policy, state.Versions[command.Version], state.VersionOf(ModelAliases.Champion) is { } c ? state.Versions[c] : null, command.Alias).ApprovalReason
            : null;
        return new PromotionOutcome(promotionId, pending ? PromotionOutcome.PendingApproval : PromotionOutcome.Promoted, [], approvalReason, revision);
    }

    public Task<long> ApproveAsync(ApprovePromotion command, CancellationToken cancellationToken = default) =>
        DecideAsync(command.ModelName, s => ModelDecisions.Approve(s, command), command.ApprovedBy, command.Reason, cancellationToken);

    public Task<long> RejectAsync(RejectPromotion command, CancellationToken cancellationToken = default) =>
        DecideAsync(command.ModelName, s => ModelDecisions.Reject(s, command), command.RejectedBy, command.Reason, cancellationToken);

    public Task<long> RollBackAsync(RollBack command, CancellationToken cancellationToken = default) =>
        DecideAsync(command.ModelName, s => ModelDecisions.RollBack(s, command), command.RequestedBy, command.Reason, cancellationToken);

    public Task<long> ArchiveAsync(string modelName, string version, string by, string reason, CancellationToken cancellationToken = default) =>
        DecideAsync(modelName, s => ModelDecisions.Archive(s, version, by, reason), by, reason, cancellationToken);

    public Task<long> RetireAsync(string modelName, string by, string reason, CancellationToken cancellationToken = default) =>
        DecideAsync(modelName, s => ModelDecisions.Retire(s, by, reason), by, reason, cancellationToken);

    public Task<long> SetPolicyAsync(string modelName, PromotionPolicy policy, string by, string reason, CancellationToken cancellationToken = default) =>
        DecideAsync(modelName, s => ModelDecisions.SetPolicy(s, policy, by, reason), by, reason, cancellationToken);

    public Task<long> SetTrafficSplitAsync(SetTrafficSplit command, CancellationToken cancellationToken = default) =>
        DecideAsync(command.ModelName, s => ModelDecisions.SetTrafficSplit(s, command), command.RequestedBy, command.Reason, cancellationToken);

    async Task<long> DecideAsync(string modelName, Func<ModelState, IReadOnlyList<object>> decide, string by, string reason, CancellationToken cancellationToken)
    {
        using var writer = await locks.EnterAsync(modelName, cancellationToken);
        var state = await RequireAsync(modelName, cancellationToken);
        return await AppendAsync(state.Name, state.Revision, null, decide(state), by, reason, cancellationToken);
    }

    // A name no model can have is a bad request naming the field, not "not registered".
    async Task<ModelState> RequireAsync(string modelName, CancellationToken cancellationToken) =>
        (ModelDecisions.NamePattern().IsMatch(modelName ?? "")
            ? await GetAsync(modelName!, cancellationToken: cancellationToken)
            : throw RegistryValidationException.For("modelName", "must be lower-case letters, digits, '.', '-' or '_' (at most 100)"))
        ?? throw new RegistryNotFoundException($"Model '{modelName}' is not registered.");

    /// <summary>
    /// Appends at <paramref name="loadedRevision"/> (0 = the stream must not exist): Marten checks the stream's version
    /// in the commit, and the unique (stream, version) index makes exactly one of two racing appends win.
    /// </summary>
    async Task<long> AppendAsync(string modelName, long loadedRevision, long? expectedRevision, IReadOnlyList<object> events, string by, string reason, CancellationToken cancellationToken)
    {
        using var activity = RegistryTelemetry.Source.StartActivity("registry decide");
        activity?.SetTag("mlops.model", modelName);
        var stream = StreamOf(modelName);
        if (expectedRevision is { } expected && expected != loadedRevision)
        {
            throw new ConcurrencyConflictException(stream, expected, loadedRevision);
        }

        if (events.Count == 0)
        {
            return loadedRevision;
        }

        await using var session = store.LightweightSession();
        session.SetHeader(StoredEvents.ActorHeader, by);
        session.SetHeader(StoredEvents.ReasonHeader, reason);
        if (loadedRevision == 0)
        {
            session.Events.StartStream(stream, events.ToArray());
        }
        else
        {
            // Marten's expected version is the stream's version after these events.
            session.Events.Append(stream, loadedRevision + events.Count, events.ToArray());
        }

        try
        {
            await session.SaveChangesAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is ConcurrencyException or ExistingStreamIdCollisionException)
        {
            await using var query = store.QuerySession();
            var actual = (await query.Events.FetchStreamStateAsync(stream, cancellationToken))?.Version ?? 0;
            RegistryTelemetry.Conflicts.Add(1);
            throw new ConcurrencyConflictException(stream, loadedRevision, actual, ex);
        }

        RegistryTelemetry.Commands.Add(1);
        return loadedRevision + events.Count;
    }
}
