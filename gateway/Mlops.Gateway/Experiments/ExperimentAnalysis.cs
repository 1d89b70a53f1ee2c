namespace Mlops.Gateway.Experiments;

/// <summary>An experiment's status at one look.</summary>
public sealed record ExperimentStatus(
    Guid Id, string Name, string ModelName, double Alpha, double MixingVariance, IReadOnlyList<ArmStatus> Arms,
    SampleRatioResult SampleRatio, string Decision, string Reason)
{
    /// <summary>Outcomes counted by monitoring (null: posted over HTTP).</summary>
    public ExperimentOutcome? Outcome { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Who stopped it, when and why (null while it runs); the status is then the one it was stopped at.</summary>
    public ExperimentStop? Stopped { get; init; }
}

/// <summary>One arm at one look; the test fields compare it with the control (null for the control itself).</summary>
public sealed record ArmStatus(
    string Name, string Variant, double Weight, long N, long Successes, double? Rate,
    double? Difference, double? PValue, double? ConfidenceLower, double? ConfidenceUpper);

/// <summary>
/// Turns an experiment's counts into its status: per arm the rate, the mSPRT against the control with its always-valid
/// p-value (the running minimum over looks) and confidence sequence, the sample-ratio check over all arms, and the
/// decision. A sample-ratio mismatch overrides everything: with broken assignment no difference can be trusted.
/// </summary>
public static class ExperimentAnalysis
{
    public const string Continue = "continue";
    public const string StopTreatmentBetter = "stop-treatment-better";
    public const string StopTreatmentWorse = "stop-treatment-worse";
    public const string Invalid = "invalid-sample-ratio-mismatch";

    /// <summary>Each treatment arm's mSPRT result at this look, in arm order (the control has none).</summary>
    public static IReadOnlyList<SequentialResult?> Test(Experiment experiment)
    {
        var control = experiment.Arms[0];
        return experiment.Arms.Select((arm, i) => i == 0
            ? null
            : MixtureSprt.Proportions(control.Successes, control.Trials, arm.Successes, arm.Trials, experiment.MixingVariance, experiment.Alpha)).ToList();
    }

    public static ExperimentStatus Analyse(Experiment experiment)
    {
        var tests = Test(experiment);
        var arms = experiment.Arms.Select((arm, i) =>
        {
            double? rate = arm.Trials > 0 ? (double)arm.Successes / arm.Trials : null;
            return tests[i] is { } t
                ? new ArmStatus(arm.Name, arm.Variant, arm.Weight, arm.Trials, arm.Successes, rate, t.Difference,
                    MixtureSprt.RunningMinimum(arm.MinPValue, t.PValue), Finite(t.Lower), Finite(t.Upper))
                : new ArmStatus(arm.Name, arm.Variant, arm.Weight, arm.Trials, arm.Successes, rate, null, null, null, null);
        }).ToList();
        var srm = SampleRatioMismatch.Test(experiment.Arms.Select(a => a.Trials).ToList(), experiment.Arms.Select(a => a.Weight).ToList());
        var (decision, reason) = Decide(experiment, arms, srm);
        return new ExperimentStatus(experiment.Id, experiment.Name, experiment.ModelName, experiment.Alpha, experiment.MixingVariance, arms, srm, decision, reason)
        {
            Outcome = experiment.Outcome, CreatedAt = experiment.CreatedAt, Stopped = experiment.Stopped,
        };
    }

    static (string Decision, string Reason) Decide(Experiment experiment, IReadOnlyList<ArmStatus> arms, SampleRatioResult srm)
    {
        if (srm.Mismatch)
        {
            return (Invalid, $"the arms' sizes do not match their weights (chi-square {srm.ChiSquare:F2}, p = {srm.PValue:G3} < {SampleRatioMismatch.DefaultThreshold}): fix assignment before reading any result");
        }

        // The arm with the strongest evidence decides; with several treatments a Bonferroni split keeps the family's α.
        var perArm = experiment.Alpha / Math.Max(1, arms.Count - 1);
        var significant = arms.Skip(1).Where(a => a.PValue <= perArm).OrderBy(a => a.PValue).FirstOrDefault();
        if (significant is null)
        {
            return (Continue, $"no arm differs from {arms[0].Name} at always-valid p ≤ {perArm:G3} yet");
        }

        // The direction is the current estimate's sign.
        var better = significant.Difference > 0;
        return (better ? StopTreatmentBetter : StopTreatmentWorse,
            $"{significant.Name} {(better ? "beats" : "is worse than")} {arms[0].Name}: difference {significant.Difference:+0.####;-0.####}, always-valid p = {significant.PValue:G3}");
    }

    static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
