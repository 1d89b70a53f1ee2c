using Mlops.Contracts.Registry;

namespace Mlops.Registry.Domain;

/// <summary>
/// A registered model as its events say it is: versions with their stages, aliases and who held them before,
/// pending promotions, the policy and the current deployment. Built only by <see cref="When"/>, so replaying the
/// stream (whole, up to a revision, or as of a time) always yields the same state.
/// </summary>
public sealed class ModelState
{
    public string Name { get; set; } = "";

    /// <summary>Version of the model's stream: the optimistic-concurrency token of every decision.</summary>
    public long Revision { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }

    public PromotionPolicy Policy { get; set; } = new();

    public SortedDictionary<string, ModelVersionState> Versions { get; set; } = new();

    public SortedDictionary<string, string> Aliases { get; set; } = new();

    /// <summary>Per alias, the versions that held it before the current one, oldest first (rollback targets).</summary>
    public SortedDictionary<string, List<string>> AliasHistory { get; set; } = new();

    public SortedDictionary<Guid, PendingPromotion> PendingPromotions { get; set; } = new();

    public List<TrafficRoute> Deployment { get; set; } = [];

    /// <summary>
    /// The challenger's share recorded by <c>SetTrafficSplit</c> for the current challenger; null: the policy's
    /// <see cref="PromotionPolicy.ChallengerTrafficPercent"/> (a newly assigned challenger starts there).
    /// </summary>
    public int? ChallengerPercent { get; set; }

    /// <summary>Share of requests mirrored to the shadow alias (0: none, and the shadow is not deployed).</summary>
    public int ShadowPercent { get; set; }

    public static ModelState Replay(string name, IEnumerable<RecordedEvent> events)
    {
        var state = new ModelState { Name = name };
        foreach (var e in events)
        {
            state.When(e);
        }

        return state;
    }

    // Not named Apply: Marten reads Apply/Create methods on an aggregate as projection conventions, and the
    // registry's projection (ModelStateProjection) calls this one explicitly instead.
    public void When(RecordedEvent recorded)
    {
        Revision = recorded.Version;
        UpdatedAt = recorded.RecordedAt;
        switch (recorded.Data)
        {
            case ModelVersionRegistered e:
                Name = e.ModelName;
                Versions[e.Version] = new ModelVersionState { Registration = e, RegisteredAt = recorded.RecordedAt, Stage = ModelStages.Development };
                break;
            case PromotionRequested { RequiresApproval: true } e:
                PendingPromotions[e.PromotionId] = new PendingPromotion
                {
                    PromotionId = e.PromotionId, Version = e.Version, Alias = e.Alias, RequestedBy = e.RequestedBy, Reason = e.Reason, RequestedAt = recorded.RecordedAt,
                };
                break;
            case PromotionApproved e:
                PendingPromotions.Remove(e.PromotionId);
                break;
            case PromotionRejected e:
                PendingPromotions.Remove(e.PromotionId);
                break;
            case AliasAssigned e:
                if (e.PreviousVersion is { } previous)
                {
                    HistoryOf(e.Alias).Add(previous);
                }

                if (e.Alias == ModelAliases.Challenger && e.Version != e.PreviousVersion)
                {
                    // Another challenger (or none): a recorded split was for the one before.
                    ChallengerPercent = null;
                }

                if (e.Version is { } version)
                {
                    Aliases[e.Alias] = version;
                }
                else
                {
                    Aliases.Remove(e.Alias);
                }

                break;
            case RolledBack e:
                // The alias went back: the abandoned version is no rollback target, and the restored one is current again.
                var history = HistoryOf(e.Alias);
                history.RemoveAt(history.LastIndexOf(e.FromVersion));
                history.RemoveAt(history.LastIndexOf(e.ToVersion));
                break;
            case StageChanged e:
                Versions[e.Version].Stage = e.To;
                break;
            case DeploymentChanged e:
                Deployment = e.Routes.ToList();
                break;
            case PromotionPolicyChanged e:
                Policy = e.Policy;
                break;
            case TrafficSplitChanged e:
                ChallengerPercent = e.ChallengerPercent;
                ShadowPercent = e.ShadowPercent;
                break;
        }
    }

    public string? VersionOf(string alias) => Aliases.GetValueOrDefault(alias);

    public IEnumerable<string> AliasesOf(string version) => Aliases.Where(a => a.Value == version).Select(a => a.Key);

    List<string> HistoryOf(string alias) =>
        AliasHistory.TryGetValue(alias, out var list) ? list : AliasHistory[alias] = [];
}

public sealed class ModelVersionState
{
    public required ModelVersionRegistered Registration { get; set; }

    public required DateTimeOffset RegisteredAt { get; set; }

    public required string Stage { get; set; }

    public bool Archived => Stage == ModelStages.Archived;
}

public sealed class PendingPromotion
{
    public required Guid PromotionId { get; set; }
    public required string Version { get; set; }
    public required string Alias { get; set; }
    public required string RequestedBy { get; set; }
    public required string Reason { get; set; }
    public required DateTimeOffset RequestedAt { get; set; }
}
