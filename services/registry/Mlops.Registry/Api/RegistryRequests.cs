using Mlops.Contracts.Registry;

namespace Mlops.Registry.Api;

// Request bodies have nullable members so that a missing field is reported by name with every other problem
// (400 ProblemDetails), instead of failing deserialization at the first one.

public sealed record RegisterVersionRequest(
    string? Version, string? ArtifactSha256, ModelSignature? Signature, ModelMetrics? Metrics, string? DatasetVersion, string? FeatureSetVersion,
    string? TrainingRunId, string? CodeVersion, string? RegisteredBy, string? IntendedUse, string? Limitations, string? Description);

public sealed record PromotionRequest(string? Version, string? Alias, string? RequestedBy, string? Reason, long? ExpectedRevision);

public sealed record DecisionRequest(string? By, string? Reason);

public sealed record RollBackRequest(string? Alias, string? RequestedBy, string? Reason);

public sealed record PolicyRequest(PromotionPolicy? Policy, string? ChangedBy, string? Reason);

public sealed record TrafficSplitRequest(int? ChallengerPercent, int? ShadowPercent, string? RequestedBy, string? Reason, Guid? CorrelationId);

public sealed record ArtifactStored(string Sha256, long Size);

public sealed record AliasAsOf(string Model, string Alias, string? Version, long Revision, DateTimeOffset? AsOf);
