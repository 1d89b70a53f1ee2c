using MathNet.Numerics.Distributions;

namespace Mlops.Gateway.Experiments;

/// <summary>
/// Units per arm a fixed-horizon two-proportion z-test needs to detect a change from <c>baseline</c> to
/// <c>target</c>: n = (z₁₋α/₂ + z₁₋β)² · (p₁(1 − p₁) + p₂(1 − p₂)) / (p₂ − p₁)², rounded up (two-sided; one-sided uses
/// z₁₋α). With 5 % → 5.5 %, α 0.05 two-sided and power 0.8 that is 31,231 per arm. A sequential test (mSPRT) needs
/// more on average at the same power in exchange for being allowed to stop early: plan with this figure as the
/// lower bound.
/// </summary>
public static class SampleSize
{
    public static long TwoProportionsPerArm(double baseline, double target, double alpha = 0.05, double power = 0.8, bool twoSided = true)
    {
        if (baseline is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(baseline), baseline, "baseline must lie in (0, 1)");
        if (target is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(target), target, "target must lie in (0, 1)");
        if (baseline == target) throw new ArgumentOutOfRangeException(nameof(target), target, "target must differ from baseline");
        if (alpha is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must lie in (0, 1)");
        if (power is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(power), power, "power must lie in (0, 1)");

        var zAlpha = Normal.InvCDF(0, 1, twoSided ? 1 - alpha / 2 : 1 - alpha);
        var zBeta = Normal.InvCDF(0, 1, power);
        var variance = baseline * (1 - baseline) + target * (1 - target);
        var delta = target - baseline;
        return (long)Math.Ceiling((zAlpha + zBeta) * (zAlpha + zBeta) * variance / (delta * delta));
    }
}
