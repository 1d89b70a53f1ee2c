using Mlops.Contracts.Registry;
using Mlops.EventStore;
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
/// Loads a model's stream, lets <see cref="ModelDecisions"/> decide, and appends the events at the revision the
/// decision saw: a concurrent change makes the append fail with <see cref="ConcurrencyConflictException"/>.
/// </summary>
public sealed class ModelRegistry(IEventStore store, ArtifactStore artifacts)
{
    public static string StreamOf(string modelName) => "model-" + modelName;

    public async Task<ModelState?> GetAsync(string modelName, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        var stream = await store.LoadAsync(StreamOf(modelName), asOf: asOf, cancellationToken: cancellationToken);
        return stream.Events.Count == 0 ? null : ModelState.Replay(modelName, stream.Events);
    }

    public async Task<IReadOnlyList<RecordedEvent>> HistoryAsync(string modelName, CancellationToken cancellationToken = default) =>
        (await store.LoadAsync(StreamOf(modelName), cancellationToken: cancellationToken)).Events;

    public async Task<long> RegisterAsync(RegisterModelVersion command, CancellationToken cancellationToken = default)
    {
        var stored = ModelDecisions.Sha256Pattern().IsMatch(command.ArtifactSha256 ?? "") && await artifacts.ExistsAsync(command.ArtifactSha256!, cancellationToken);
        var state = ModelDecisions.NamePattern().IsMatch(command.ModelName ?? "") ? await GetAsync(command.ModelName!, cancellationToken: cancellationToken) : null;
        var events = ModelDecisions.Register(state, command, stored);
        return await AppendAsync(command.ModelName!, state?.Revision ?? ExpectedVersion.NoStream, null, events, command.RegisteredBy, "registered by training run " + command.TrainingRunId, cancellationToken);
    }

    public async Task<PromotionOutcome> RequestPromotionAsync(RequestPromotion command, CancellationToken cancellationToken = default)
    {
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

    public Task<long> SetPolicyAsync(string modelName, PromotionPolicy policy, string by, string reason, CancellationToken cancellationToken = default) =>
        DecideAsync(modelName, s => ModelDecisions.SetPolicy(s, policy, by, reason), by, reason, cancellationToken);

    async Task<long> DecideAsync(string modelName, Func<ModelState, IReadOnlyList<object>> decide, string by, string reason, CancellationToken cancellationToken)
    {
        var state = await RequireAsync(modelName, cancellationToken);
        return await AppendAsync(state.Name, state.Revision, null, decide(state), by, reason, cancellationToken);
    }

    async Task<ModelState> RequireAsync(string modelName, CancellationToken cancellationToken) =>
        (ModelDecisions.NamePattern().IsMatch(modelName ?? "") ? await GetAsync(modelName!, cancellationToken: cancellationToken) : null)
        ?? throw new RegistryNotFoundException($"Model '{modelName}' is not registered.");

    async Task<long> AppendAsync(string modelName, long loadedRevision, long? expectedRevision, IReadOnlyList<object> events, string by, string reason, CancellationToken cancellationToken)
    {
        using var activity = RegistryTelemetry.Source.StartActivity("registry decide");
        activity?.SetTag("mlops.model", modelName);
        if (expectedRevision is { } expected && expected != loadedRevision)
        {
            throw new ConcurrencyConflictException(StreamOf(modelName), expected, loadedRevision);
        }

        if (events.Count == 0)
        {
            return loadedRevision;
        }

        var result = await store.AppendAsync(StreamOf(modelName), expectedRevision ?? loadedRevision, events, new EventMetadata { Actor = by, Reason = reason }, cancellationToken);
        RegistryTelemetry.Commands.Add(1);
        return result.NextExpectedVersion;
    }
}
