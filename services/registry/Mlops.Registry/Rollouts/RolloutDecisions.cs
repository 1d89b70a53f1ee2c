using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>What a rollout does after an analysis.</summary>
public enum RolloutNext
{
    /// <summary>Not enough passes in a row yet (or a tolerated failure): analyse again after another interval.</summary>
    Wait,

    /// <summary>The step passed: on to the next step.</summary>
    Advance,

    /// <summary>The last step passed: promote the candidate.</summary>
    Promote,

    /// <summary>The analysis could not decide: wait for a person.</summary>
    Pause,

    /// <summary>More failures than the limit allows: take the candidate's traffic away.</summary>
    RollBack,
}

/// <summary>The rollout's pure decisions (Argo Rollouts' analysis semantics: failure limit, consecutive successes, inconclusive pauses).</summary>
public static class RolloutDecisions
{
    /// <summary>Failed if any measurement failed; else inconclusive if any could not decide or none was taken; else passed.</summary>
    public static string VerdictOf(IReadOnlyList<RolloutMeasurement> measurements) =>
        measurements.Any(m => m.Verdict == RolloutVerdicts.Failed) ? RolloutVerdicts.Failed
        : measurements.Count == 0 || measurements.Any(m => m.Verdict != RolloutVerdicts.Passed) ? RolloutVerdicts.Inconclusive
        : RolloutVerdicts.Passed;

    /// <summary>A measurement's verdict: over the limit fails, within passes, no value is inconclusive (never a pass).</summary>
    public static string Judge(double? value, double threshold) =>
        value is not { } v || !double.IsFinite(v) ? RolloutVerdicts.Inconclusive
        : v > threshold ? RolloutVerdicts.Failed
        : RolloutVerdicts.Passed;

    /// <summary>What happens after an analysis with <paramref name="verdict"/>, and the step's tallies after it (pure: the state is not changed).</summary>
    public static (RolloutNext Next, int Failures, int ConsecutiveSuccesses) AfterAnalysis(RolloutState rollout, string verdict)
    {
        var plan = rollout.Request!;
        switch (verdict)
        {
            case RolloutVerdicts.Failed:
                var failures = rollout.Failures + 1;
                return (failures > plan.FailureLimit ? RolloutNext.RollBack : RolloutNext.Wait, failures, 0);
            case RolloutVerdicts.Passed:
                var successes = rollout.ConsecutiveSuccesses + 1;
                return (successes < plan.ConsecutiveSuccesses ? RolloutNext.Wait : StepDone(rollout), rollout.Failures, successes);
            default:
                return (RolloutNext.Pause, rollout.Failures, 0);
        }
    }

    /// <summary>The current step is done (passed or approved): the next step, or promotion after the last.</summary>
    public static RolloutNext StepDone(RolloutState rollout) =>
        rollout.StepIndex + 1 < rollout.Request!.Steps.Count ? RolloutNext.Advance : RolloutNext.Promote;

    /// <summary>Everything wrong with a plan, by field (empty: valid).</summary>
    public static Dictionary<string, string[]> Validate(IReadOnlyList<int>? steps, TimeSpan? interval, RolloutThresholds? thresholds, int? failureLimit, int? consecutiveSuccesses)
    {
        var errors = new Dictionary<string, string[]>();
        if (steps is not { Count: > 0 })
        {
            errors["steps"] = ["steps must list at least one traffic percentage"];
        }
        else if (steps.Any(s => s is < 1 or > 100) || steps.Zip(steps.Skip(1)).Any(p => p.Second <= p.First))
        {
            errors["steps"] = ["steps must rise strictly and each lie between 1 and 100"];
        }

        if (interval is not { } i || i < TimeSpan.FromSeconds(1) || i > TimeSpan.FromDays(7))
        {
            errors["analysisInterval"] = ["analysisInterval must lie between 00:00:01 and 7.00:00:00"];
        }

        if (thresholds is null || (thresholds.MaxErrorRate is null && thresholds.MaxP99LatencyMs is null && thresholds.MaxDivergence is null
                && thresholds.MaxAurocDrop is null && thresholds.MaxDriftShare is null))
        {
            errors["thresholds"] = ["thresholds must set at least one of maxErrorRate, maxP99LatencyMs, maxDivergence, maxAurocDrop, maxDriftShare"];
        }
        else
        {
            if (thresholds.MaxErrorRate is { } e && e is < 0 or > 1) errors["thresholds.maxErrorRate"] = ["maxErrorRate must lie in [0, 1]"];
            if (thresholds.MaxP99LatencyMs is { } l && !(l > 0)) errors["thresholds.maxP99LatencyMs"] = ["maxP99LatencyMs must be positive"];
            if (thresholds.MaxDivergence is { } d && d is < 0 or > 1) errors["thresholds.maxDivergence"] = ["maxDivergence must lie in [0, 1]"];
            if (thresholds.MaxAurocDrop is { } drop && drop is < 0 or > 1) errors["thresholds.maxAurocDrop"] = ["maxAurocDrop must lie in [0, 1]"];
            if (thresholds.MaxDriftShare is { } share && share is < 0 or > 1) errors["thresholds.maxDriftShare"] = ["maxDriftShare must lie in [0, 1]"];
            if (thresholds.MinRequests < 1) errors["thresholds.minRequests"] = ["minRequests must be 1 or more"];
            if (thresholds.MinLabels < 1) errors["thresholds.minLabels"] = ["minLabels must be 1 or more"];
        }

        if (failureLimit is < 0 or > 100) errors["failureLimit"] = ["failureLimit must lie between 0 and 100"];
        if (consecutiveSuccesses is < 1 or > 100) errors["consecutiveSuccesses"] = ["consecutiveSuccesses must lie between 1 and 100"];
        return errors;
    }
}
