using System.Globalization;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Domain;

/// <summary>The verdict of a policy on one promotion: every failed criterion, and whether a human must approve.</summary>
public sealed record PolicyVerdict(IReadOnlyList<string> FailedCriteria, string? ApprovalReason)
{
    public bool Passed => FailedCriteria.Count == 0;
}

/// <summary>
/// Applies a <see cref="PromotionPolicy"/>. Latency, leakage and subgroup criteria apply to every alias; the
/// improvement over the champion and the human-approval rule apply to promotions to <c>champion</c>.
/// </summary>
public static class PromotionPolicyEvaluator
{
    public const string LatencyMetric = "p99_latency_ms";
    public const string LeakageCheck = "leakage";

    public static PolicyVerdict Evaluate(PromotionPolicy policy, ModelVersionState candidate, ModelVersionState? champion, string alias)
    {
        var failed = new List<string>();
        var metrics = candidate.Registration.Metrics;
        var main = policy.MainMetric;
        var candidateMain = metrics.Overall.TryGetValue(main, out var value) ? value : (double?)null;
        var toChampion = alias == ModelAliases.Champion;

        if (candidate.Archived)
        {
            failed.Add($"version {candidate.Registration.Version} is archived");
        }

        if (toChampion && champion is not null && policy.MinImprovementOverChampion is { } delta)
        {
            var championMain = champion.Registration.Metrics.Overall.TryGetValue(main, out var c) ? c : (double?)null;
            if (candidateMain is null)
            {
                failed.Add($"{main} is not reported");
            }
            else if (championMain is not null && candidateMain < championMain + delta - 1e-12)
            {
                failed.Add($"{main} {F(candidateMain.Value)} is below the champion's {F(championMain.Value)} + {F(delta)} = {F(championMain.Value + delta)}");
            }
        }

        if (policy.MaxP99LatencyMs is { } maxLatency)
        {
            if (!metrics.Overall.TryGetValue(LatencyMetric, out var latency))
            {
                failed.Add($"{LatencyMetric} is not reported");
            }
            else if (latency >= maxLatency)
            {
                failed.Add($"{LatencyMetric} {F(latency)} is not below {F(maxLatency)}");
            }
        }

        if (policy.RequireLeakageCheck)
        {
            if (!metrics.Checks.TryGetValue(LeakageCheck, out var passed))
            {
                failed.Add("leakage check is missing");
            }
            else if (!passed)
            {
                failed.Add("leakage check did not pass");
            }
        }

        if (policy.MaxSubgroupGap is { } maxGap)
        {
            var bySubgroup = metrics.Subgroups
                .Where(s => s.Value.ContainsKey(main))
                .Select(s => (Name: s.Key, Value: s.Value[main]))
                .OrderBy(s => s.Value)
                .ToList();
            if (bySubgroup.Count == 0)
            {
                failed.Add($"no subgroup reports {main}");
            }
            else if (bySubgroup[^1].Value - bySubgroup[0].Value > maxGap + 1e-12)
            {
                failed.Add($"subgroup gap of {main} is {F(bySubgroup[^1].Value - bySubgroup[0].Value)} (best {bySubgroup[^1].Name} {F(bySubgroup[^1].Value)}, worst {bySubgroup[0].Name} {F(bySubgroup[0].Value)}), above {F(maxGap)}");
            }
        }

        string? approval = null;
        if (toChampion && champion is not null && policy.HumanApprovalAboveRelativeChange is { } threshold && candidateMain is { } cand
            && champion.Registration.Metrics.Overall.TryGetValue(main, out var champ) && champ != 0)
        {
            var change = Math.Abs(cand - champ) / Math.Abs(champ);
            if (change > threshold)
            {
                approval = $"{main} moves by {change.ToString("P2", CultureInfo.InvariantCulture)} (more than {threshold.ToString("P2", CultureInfo.InvariantCulture)}): human approval required";
            }
        }

        return new PolicyVerdict(failed, approval);
    }

    static string F(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
