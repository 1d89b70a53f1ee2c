using System.Text.RegularExpressions;
using Mlops.Contracts.Registry;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Registry.Domain;

/// <summary>
/// The registry's decisions as pure functions of the current state and a command: they return the events to
/// append, or throw <see cref="RegistryValidationException"/> listing every problem. Nothing here does I/O.
/// </summary>
public static partial class ModelDecisions
{
    public const string PolicyActor = "policy";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$")]
    public static partial Regex NamePattern();

    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")]
    public static partial Regex SemVerPattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    public static partial Regex Sha256Pattern();

    public static IReadOnlyList<object> Register(ModelState? state, RegisterModelVersion command, bool artifactStored)
    {
        var errors = new Errors();
        errors.When(!NamePattern().IsMatch(command.ModelName ?? ""), nameof(command.ModelName), "must be lower-case letters, digits, '.', '-' or '_' (at most 100)");
        errors.When(!SemVerPattern().IsMatch(command.Version ?? ""), nameof(command.Version), "must be a semantic version such as 1.2.0");
        errors.When(!Sha256Pattern().IsMatch(command.ArtifactSha256 ?? ""), nameof(command.ArtifactSha256), "must be 64 lower-case hex characters");
        errors.When(Sha256Pattern().IsMatch(command.ArtifactSha256 ?? "") && !artifactStored, nameof(command.ArtifactSha256), "no artifact with this SHA-256 is stored; upload it first");
        errors.When(command.Signature?.Inputs is not { Count: > 0 }, "Signature.Inputs", "must name at least one input");
        errors.When(command.Signature?.Outputs is not { Count: > 0 }, "Signature.Outputs", "must name at least one output");
        errors.When(command.Metrics?.Overall is not { Count: > 0 }, "Metrics.Overall", "must hold at least one metric");
        foreach (var (field, value) in new[]
                 {
                     (nameof(command.DatasetVersion), command.DatasetVersion), (nameof(command.FeatureSetVersion), command.FeatureSetVersion),
                     (nameof(command.TrainingRunId), command.TrainingRunId), (nameof(command.CodeVersion), command.CodeVersion),
                     (nameof(command.RegisteredBy), command.RegisteredBy),
                 })
        {
            errors.Identifier(field, value);
        }

        errors.Text(nameof(command.IntendedUse), command.IntendedUse);
        errors.Text(nameof(command.Limitations), command.Limitations);
        errors.Text(nameof(command.Description), command.Description);
        foreach (var (group, specs) in new[] { ("Signature.Inputs", command.Signature?.Inputs), ("Signature.Outputs", command.Signature?.Outputs) })
        {
            foreach (var spec in specs ?? [])
            {
                if (spec is null)
                {
                    errors.Add(group, "must not hold null entries");
                    continue;
                }

                errors.Identifier(group, spec.Name);
                errors.Identifier(group, spec.Type);
            }
        }

        foreach (var (name, value) in command.Metrics?.Overall ?? new Dictionary<string, double>())
        {
            errors.Identifier("Metrics.Overall", name);
            errors.When(!double.IsFinite(value), "Metrics.Overall", $"{name} must be a finite number");
        }

        if (state?.Versions.GetValueOrDefault(command.Version ?? "") is { } existing)
        {
            // Versions are immutable: the same registration again (a redelivered command) changes nothing.
            if (existing.Registration.ArtifactSha256 == command.ArtifactSha256)
            {
                errors.ThrowIfAny();
                return [];
            }

            errors.Add(nameof(command.Version), $"version {command.Version} is already registered with another artifact; versions are immutable");
        }

        errors.ThrowIfAny();
        return
        [
            new ModelVersionRegistered
            {
                ModelName = command.ModelName!, Version = command.Version!, ArtifactSha256 = command.ArtifactSha256!, Signature = command.Signature!,
                Metrics = command.Metrics!, DatasetVersion = command.DatasetVersion, FeatureSetVersion = command.FeatureSetVersion,
                TrainingRunId = command.TrainingRunId, CodeVersion = command.CodeVersion, RegisteredBy = command.RegisteredBy,
                IntendedUse = command.IntendedUse, Limitations = command.Limitations, Description = command.Description,
            },
        ];
    }

    public static IReadOnlyList<object> RequestPromotion(ModelState state, RequestPromotion command, Guid promotionId)
    {
        var errors = new Errors();
        errors.When(!NamePattern().IsMatch(command.Alias ?? ""), nameof(command.Alias), "must be lower-case letters, digits, '.', '-' or '_'");
        errors.Identifier(nameof(command.RequestedBy), command.RequestedBy);
        errors.Text(nameof(command.Reason), command.Reason, required: true);
        errors.When(command.ExpectedRevision is < 0, nameof(command.ExpectedRevision), "must not be negative");
        var candidate = state.Versions.GetValueOrDefault(command.Version ?? "");
        errors.When(candidate is null, nameof(command.Version), $"version {command.Version} is not registered");
        errors.When(candidate is not null && state.VersionOf(command.Alias ?? "") == command.Version, nameof(command.Alias), $"{command.Alias} already points at {command.Version}");
        errors.ThrowIfAny();

        var champion = state.VersionOf(ModelAliases.Champion) is { } c ? state.Versions[c] : null;
        var verdict = PromotionPolicyEvaluator.Evaluate(state.Policy, candidate!, champion, command.Alias!);
        var requested = new PromotionRequested
        {
            ModelName = state.Name, PromotionId = promotionId, Version = command.Version!, Alias = command.Alias!,
            RequestedBy = command.RequestedBy, Reason = command.Reason, RequiresApproval = verdict.Passed && verdict.ApprovalReason is not null,
        };
        if (!verdict.Passed)
        {
            return
            [
                requested,
                new PromotionRejected
                {
                    ModelName = state.Name, PromotionId = promotionId, Version = command.Version!, Alias = command.Alias!, RejectedBy = PolicyActor,
                    Reason = "refused by the promotion policy: " + string.Join("; ", verdict.FailedCriteria), FailedCriteria = verdict.FailedCriteria,
                },
            ];
        }

        if (requested.RequiresApproval)
        {
            return [requested];
        }

        var approved = new PromotionApproved
        {
            ModelName = state.Name, PromotionId = promotionId, Version = command.Version!, Alias = command.Alias!, ApprovedBy = PolicyActor,
            Reason = "every policy criterion passed",
        };
        return [requested, approved, .. Assign(state, command.Alias!, command.Version!, eventsBefore: 2)];
    }

    public static IReadOnlyList<object> Approve(ModelState state, ApprovePromotion command)
    {
        var pending = Pending(state, command.PromotionId, command.ApprovedBy, command.Reason, "approvedBy");
        if (state.Versions[pending.Version].Archived)
        {
            throw RegistryValidationException.For(nameof(command.PromotionId), $"version {pending.Version} was archived after the request");
        }

        var approved = new PromotionApproved
        {
            ModelName = state.Name, PromotionId = pending.PromotionId, Version = pending.Version, Alias = pending.Alias,
            ApprovedBy = command.ApprovedBy, Reason = command.Reason,
        };
        return [approved, .. Assign(state, pending.Alias, pending.Version, eventsBefore: 1)];
    }

    public static IReadOnlyList<object> Reject(ModelState state, RejectPromotion command)
    {
        var pending = Pending(state, command.PromotionId, command.RejectedBy, command.Reason, "rejectedBy");
        return
        [
            new PromotionRejected
            {
                ModelName = state.Name, PromotionId = pending.PromotionId, Version = pending.Version, Alias = pending.Alias,
                RejectedBy = command.RejectedBy, Reason = command.Reason,
            },
        ];
    }

    public static IReadOnlyList<object> RollBack(ModelState state, RollBack command)
    {
        var errors = new Errors();
        errors.Identifier(nameof(command.RequestedBy), command.RequestedBy);
        errors.Text(nameof(command.Reason), command.Reason, required: true);
        errors.When(!NamePattern().IsMatch(command.Alias ?? ""), nameof(command.Alias), "must be lower-case letters, digits, '.', '-' or '_'");
        var current = state.VersionOf(command.Alias ?? "");
        errors.When(current is null, nameof(command.Alias), $"{command.Alias} points at no version");
        var target = state.AliasHistory.GetValueOrDefault(command.Alias ?? "")?
            .AsEnumerable().Reverse().FirstOrDefault(v => v != current && !state.Versions[v].Archived);
        errors.When(current is not null && target is null, nameof(command.Alias), $"{command.Alias} has no earlier version to roll back to");
        errors.ThrowIfAny();

        var events = new List<object>
        {
            new AliasAssigned { ModelName = state.Name, Alias = command.Alias!, Version = target, PreviousVersion = current },
            new RolledBack { ModelName = state.Name, Alias = command.Alias!, FromVersion = current!, ToVersion = target!, RequestedBy = command.RequestedBy, Reason = command.Reason },
        };
        events.AddRange(StageFor(state, command.Alias!, target!));
        var aliases = new SortedDictionary<string, string>(state.Aliases) { [command.Alias!] = target! };
        events.AddRange(StandDown(state, aliases, current));
        events.AddRange(DeploymentIfChanged(state, aliases, state.Revision + events.Count + 1));
        return events;
    }

    public static IReadOnlyList<object> Archive(ModelState state, string version, string archivedBy, string reason)
    {
        var errors = new Errors();
        errors.Identifier("by", archivedBy);
        errors.Text("reason", reason, required: true);
        var existing = state.Versions.GetValueOrDefault(version);
        errors.When(existing is null, "version", $"version {version} is not registered");
        errors.When(existing is { Archived: true }, "version", $"version {version} is already archived");
        var aliases = state.AliasesOf(version).ToList();
        errors.When(aliases.Count > 0, "version", $"version {version} still holds {string.Join(", ", aliases)}; point the alias elsewhere first");
        errors.ThrowIfAny();
        return
        [
            new VersionArchived { ModelName = state.Name, Version = version, ArchivedBy = archivedBy, Reason = reason },
            new StageChanged { ModelName = state.Name, Version = version, From = existing!.Stage, To = ModelStages.Archived },
        ];
    }

    /// <summary>
    /// Takes the model out of service: every alias is removed, so no version serves, none is mirrored, and the
    /// deployment becomes empty (inference pods unload it, and it leaves <c>GET /api/registry/deployments</c>, which new
    /// pods load). The versions stay registered with their history: they can be archived, or promoted again. A
    /// promotion still awaiting approval is rejected, or its approval would put the model back. Retiring a model that
    /// holds no alias and awaits nothing changes nothing (a retried request is not an error).
    /// </summary>
    public static IReadOnlyList<object> Retire(ModelState state, string retiredBy, string reason)
    {
        var errors = new Errors();
        errors.Identifier("by", retiredBy);
        errors.Text("reason", reason, required: true);
        errors.ThrowIfAny();

        var events = new List<object>();
        foreach (var pending in state.PendingPromotions.Values)
        {
            events.Add(new PromotionRejected
            {
                ModelName = state.Name, PromotionId = pending.PromotionId, Version = pending.Version, Alias = pending.Alias, RejectedBy = retiredBy,
                Reason = "the model was retired: " + reason,
            });
        }

        foreach (var (alias, version) in state.Aliases)
        {
            events.Add(new AliasAssigned { ModelName = state.Name, Alias = alias, Version = null, PreviousVersion = version });
        }

        foreach (var (version, _) in state.Versions.Where(v => v.Value.Stage == ModelStages.Production))
        {
            events.Add(new StageChanged { ModelName = state.Name, Version = version, From = ModelStages.Production, To = ModelStages.Staging });
        }

        events.AddRange(DeploymentIfChanged(state, new List<TrafficRoute>(), state.Revision + events.Count + 1));
        return events;
    }

    public static IReadOnlyList<object> SetPolicy(ModelState state, PromotionPolicy policy, string changedBy, string reason)
    {
        var errors = new Errors();
        errors.Identifier("policy.mainMetric", policy.MainMetric);
        foreach (var (field, value) in new[]
                 {
                     ("policy.minImprovementOverChampion", policy.MinImprovementOverChampion), ("policy.maxP99LatencyMs", policy.MaxP99LatencyMs),
                     ("policy.maxSubgroupGap", policy.MaxSubgroupGap), ("policy.humanApprovalAboveRelativeChange", policy.HumanApprovalAboveRelativeChange),
                 })
        {
            errors.When(value is { } v && !double.IsFinite(v), field, "must be a finite number");
        }

        errors.When(policy.ChallengerTrafficPercent is < 0 or > 100, "policy.challengerTrafficPercent", "must be between 0 and 100");
        errors.When(policy.MaxP99LatencyMs is <= 0, "policy.maxP99LatencyMs", "must be positive");
        errors.When(policy.MaxSubgroupGap is < 0, "policy.maxSubgroupGap", "must not be negative");
        errors.When(policy.HumanApprovalAboveRelativeChange is < 0, "policy.humanApprovalAboveRelativeChange", "must not be negative");
        errors.Identifier("changedBy", changedBy);
        errors.Text("reason", reason, required: true);
        errors.ThrowIfAny();

        // A challenger at the policy's share moves with it.
        var routes = Routes(state, state.Aliases, policy, state.ChallengerPercent, state.ShadowPercent);
        return [new PromotionPolicyChanged { ModelName = state.Name, Policy = policy, ChangedBy = changedBy, Reason = reason }, .. DeploymentIfChanged(state, routes, state.Revision + 2)];
    }

    public static IReadOnlyList<object> SetTrafficSplit(ModelState state, SetTrafficSplit command)
    {
        var errors = new Errors();
        errors.When(command.ChallengerPercent is < 0 or > 100, nameof(command.ChallengerPercent), "must be between 0 and 100");
        errors.When(command.ShadowPercent is < 0 or > 100, nameof(command.ShadowPercent), "must be between 0 and 100");
        errors.When(string.IsNullOrWhiteSpace(command.RequestedBy), nameof(command.RequestedBy), "is required");
        errors.When(string.IsNullOrWhiteSpace(command.Reason), nameof(command.Reason), "is required");
        errors.ThrowIfAny();

        // Recorded even when it changes no route (no challenger or shadow yet, or the same split again): the sender
        // (the rollout saga, an operator) gets its confirmation, and the history says who asked for what and why.
        var shadowPercent = command.KeepShadow ? state.ShadowPercent : command.ShadowPercent;
        if (command.StopMirroringVersion is { } mirrored && state.VersionOf(ModelAliases.Shadow) == mirrored)
        {
            shadowPercent = 0;
        }

        var changed = new TrafficSplitChanged
        {
            ModelName = state.Name, ChallengerPercent = command.ChallengerPercent, ShadowPercent = shadowPercent,
            ChangedBy = command.RequestedBy, Reason = command.Reason, CorrelationId = command.CorrelationId,
        };
        var routes = Routes(state, state.Aliases, state.Policy, command.ChallengerPercent, shadowPercent);
        return [changed, .. DeploymentIfChanged(state, routes, state.Revision + 2)];
    }

    /// <summary>
    /// Traffic split for a set of aliases: the challenger serves its recorded share (the policy's for a challenger
    /// assigned since), the champion the rest; the shadow serves nothing and is mirrored its recorded share.
    /// </summary>
    public static List<TrafficRoute> Routes(ModelState state, IReadOnlyDictionary<string, string> aliases) =>
        Routes(state, aliases, state.Policy, state.ChallengerPercent, state.ShadowPercent);

    static List<TrafficRoute> Routes(ModelState state, IReadOnlyDictionary<string, string> aliases, PromotionPolicy policy, int? challengerPercent, int shadowPercent)
    {
        var routes = new List<TrafficRoute>();
        var champion = aliases.GetValueOrDefault(ModelAliases.Champion);
        var challenger = aliases.GetValueOrDefault(ModelAliases.Challenger);
        if (challenger == champion)
        {
            challenger = null;
        }

        // The champion is not also its own shadow. The challenger may be: a rollout analysing divergence mirrors the
        // champion's requests to the candidate that serves the canary share (the gateway mirrors none of its own).
        var shadow = aliases.GetValueOrDefault(ModelAliases.Shadow);
        if (shadow == champion)
        {
            shadow = null;
        }

        // The recorded share was set for the challenger of then; a newly assigned one starts at the policy's.
        var recorded = challenger is not null && challenger == state.VersionOf(ModelAliases.Challenger) ? challengerPercent : null;
        var challengerShare = champion is null ? 100 : challenger is null ? 0 : recorded ?? policy.ChallengerTrafficPercent;
        if (champion is not null)
        {
            routes.Add(Route(state, ModelAliases.Champion, champion, 100 - challengerShare));
        }

        if (challenger is not null)
        {
            routes.Add(Route(state, ModelAliases.Challenger, challenger, challengerShare));
        }

        routes.RemoveAll(r => r.TrafficPercent == 0);

        // Mirroring needs a version that answers; a shadow mirrored nothing is not deployed at all.
        if (shadow is not null && shadowPercent > 0 && routes.Count > 0)
        {
            routes.Add(Route(state, ModelAliases.Shadow, shadow, 0) with { MirrorPercent = shadowPercent });
        }

        return routes;
    }

    static TrafficRoute Route(ModelState state, string alias, string version, int share) => new()
    {
        Alias = alias, Version = version, ArtifactSha256 = state.Versions[version].Registration.ArtifactSha256, TrafficPercent = share,
    };

    static IEnumerable<object> Assign(ModelState state, string alias, string version, int eventsBefore)
    {
        var events = new List<object>
        {
            new AliasAssigned { ModelName = state.Name, Alias = alias, Version = version, PreviousVersion = state.VersionOf(alias) },
        };
        var aliases = new SortedDictionary<string, string>(state.Aliases) { [alias] = version };
        foreach (var displaced in Displaced(alias))
        {
            if (state.VersionOf(displaced) == version)
            {
                // The challenger won (or the shadow moved up): it stops holding the lesser alias.
                events.Add(new AliasAssigned { ModelName = state.Name, Alias = displaced, Version = null, PreviousVersion = version });
                aliases.Remove(displaced);
            }
        }

        events.AddRange(StageFor(state, alias, version));
        events.AddRange(StandDown(state, aliases, state.VersionOf(alias)));
        events.AddRange(DeploymentIfChanged(state, aliases, state.Revision + eventsBefore + events.Count + 1));
        return events;
    }

    /// <summary>The lesser aliases a version leaves when it is given <paramref name="alias"/>.</summary>
    static string[] Displaced(string alias) => alias switch
    {
        ModelAliases.Champion => [ModelAliases.Challenger, ModelAliases.Shadow],
        ModelAliases.Challenger => [ModelAliases.Shadow],
        _ => [],
    };

    /// <summary>A former champion that no longer serves leaves Production (to Staging: still a rollback target).</summary>
    static IEnumerable<object> StandDown(ModelState state, IReadOnlyDictionary<string, string> aliasesAfter, string? previous)
    {
        if (previous is not null && state.Versions[previous].Stage == ModelStages.Production && !aliasesAfter.Values.Contains(previous))
        {
            yield return new StageChanged { ModelName = state.Name, Version = previous, From = ModelStages.Production, To = ModelStages.Staging };
        }
    }

    static IEnumerable<object> StageFor(ModelState state, string alias, string version)
    {
        var from = state.Versions[version].Stage;
        var to = alias == ModelAliases.Champion ? ModelStages.Production : from == ModelStages.Production ? from : ModelStages.Staging;
        if (from != to)
        {
            yield return new StageChanged { ModelName = state.Name, Version = version, From = from, To = to };
        }
    }

    static IEnumerable<object> DeploymentIfChanged(ModelState state, IReadOnlyDictionary<string, string> aliases, long revision) =>
        DeploymentIfChanged(state, Routes(state, aliases), revision);

    static IEnumerable<object> DeploymentIfChanged(ModelState state, List<TrafficRoute> routes, long revision)
    {
        if (!routes.SequenceEqual(state.Deployment))
        {
            yield return new DeploymentChanged { ModelName = state.Name, Routes = routes, Revision = revision };
        }
    }

    static PendingPromotion Pending(ModelState state, Guid promotionId, string by, string reason, string byMember)
    {
        var errors = new Errors();
        var pending = state.PendingPromotions.GetValueOrDefault(promotionId);
        errors.When(pending is null, "PromotionId", $"no promotion {promotionId} awaits approval");
        // Keyed "By" (the HTTP body's member); the message names the command's member (approvedBy / rejectedBy).
        errors.Identifier(byMember, by, key: "By");
        errors.Text("Reason", reason, required: true);
        errors.ThrowIfAny();
        return pending!;
    }

    sealed class Errors
    {
        readonly Dictionary<string, List<string>> _errors = [];

        public void When(bool condition, string field, string message)
        {
            if (condition)
            {
                Add(field, message);
            }
        }

        /// <summary>The platform's identifier rules (<see cref="InputText.CheckIdentifier"/>): required, bounded, no control characters.</summary>
        public void Identifier(string field, string? value, string? key = null) => Check(key ?? field, field, errors => InputText.CheckIdentifier(errors, field, value));

        /// <summary>The platform's free-text rules: bounded, line breaks but no other control characters.</summary>
        public void Text(string field, string? value, bool required = false) => Check(field, field, errors => InputText.CheckFreeText(errors, field, value, required));

        void Check(string key, string field, Func<Dictionary<string, string[]>, bool> check)
        {
            var found = new Dictionary<string, string[]>();
            if (!check(found))
            {
                foreach (var message in found[field])
                {
                    Add(key, message);
                }
            }
        }

        public void Add(string field, string message)
        {
            if (!_errors.TryGetValue(field, out var list))
            {
                _errors[field] = list = [];
            }

            list.Add(message);
        }

        public void ThrowIfAny()
        {
            if (_errors.Count > 0)
            {
                throw new RegistryValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
            }
        }
    }
}
