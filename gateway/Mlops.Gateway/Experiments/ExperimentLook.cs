namespace Mlops.Gateway.Experiments;

/// <summary>
/// One look at an experiment: when new counts arrived (posted, or brought up to monitoring's totals), each arm's
/// cumulative counts and p-values as they were then. The always-valid p-value of an arm is the running minimum
/// (<see cref="ExperimentLookArm.MinPValue"/>); <see cref="ExperimentLookArm.PValue"/> is that look's own mSPRT value.
/// </summary>
public sealed record ExperimentLook(long Look, DateTimeOffset At, IReadOnlyList<ExperimentLookArm> Arms);

/// <summary>An arm at one look; the p-values are null for the control, which the other arms are tested against.</summary>
public sealed record ExperimentLookArm(string Name, long Trials, long Successes, double? PValue, double? MinPValue);
