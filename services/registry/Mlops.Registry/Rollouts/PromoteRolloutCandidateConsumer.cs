using MassTransit;
using Mlops.Contracts.Registry;
using Mlops.Registry.Application;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// Promotes a rollout's candidate to champion through the registry's own promotion path (its policy may promote,
/// hold for approval or refuse) and answers the saga. A concurrency conflict is thrown, so the retry decides again.
/// </summary>
public sealed class PromoteRolloutCandidateConsumer(ModelRegistry registry) : IConsumer<PromoteRolloutCandidate>
{
    public async Task Consume(ConsumeContext<PromoteRolloutCandidate> context)
    {
        var command = context.Message;
        RolloutPromotionDecided decided;
        var current = await registry.GetAsync(command.ModelName, cancellationToken: context.CancellationToken);
        if (current?.VersionOf(ModelAliases.Champion) == command.Version)
        {
            // A redelivery after the promotion was applied: the candidate already is champion.
            decided = Decided(command, PromotionOutcome.Promoted, [], null);
        }
        else
        {
            try
            {
                var outcome = await registry.RequestPromotionAsync(new RequestPromotion
                {
                    ModelName = command.ModelName, Version = command.Version, Alias = ModelAliases.Champion, RequestedBy = command.RequestedBy,
                    Reason = $"rollout {command.RolloutId}: {command.Reason}",
                }, context.CancellationToken);
                decided = Decided(command, outcome.Status, outcome.FailedCriteria, outcome.PromotionId);
            }
            catch (Exception e) when (e is RegistryValidationException or RegistryNotFoundException)
            {
                var errors = e is RegistryValidationException v ? v.Errors.SelectMany(x => x.Value.Select(m => $"{x.Key}: {m}")).ToList() : [e.Message];
                decided = Decided(command, PromotionOutcome.Rejected, errors, null);
            }
        }

        await context.Publish(decided);
    }

    static RolloutPromotionDecided Decided(PromoteRolloutCandidate command, string status, IReadOnlyList<string> reasons, Guid? promotionId) => new()
    {
        RolloutId = command.RolloutId, ModelName = command.ModelName, Version = command.Version, Status = status, Reasons = reasons, PromotionId = promotionId,
    };
}
