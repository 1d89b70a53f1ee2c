namespace Mlops.Gateway.Experiments;

/// <summary>The mixture SPRT's answer for one comparison at one look.</summary>
/// <param name="Difference">Estimated difference (treatment minus control).</param>
/// <param name="Variance">Estimated variance of that difference.</param>
/// <param name="LikelihoodRatio">Mixture likelihood ratio of "some difference" against "none".</param>
/// <param name="PValue">Always-valid p-value: 1 / ratio (capped at 1); peeking at it after every batch keeps the type I error at α.</param>
/// <param name="Lower">Lower end of the (1 − α) confidence sequence for the difference.</param>
/// <param name="Upper">Upper end.</param>
public sealed record SequentialResult(double Difference, double Variance, double LikelihoodRatio, double PValue, double Lower, double Upper);

/// <summary>
/// Mixture sequential probability ratio test (mSPRT) for a difference of two means or proportions, in the normal
/// form of Johari, Pekelis and Walsh ("Always valid inference"): the difference estimate is treated as normal with
/// its estimated variance V, and the alternative "difference θ" is averaged over a normal mixing distribution
/// θ ~ N(0, τ²). The ratio then has the closed form
/// Λ = √(V / (V + τ²)) · exp(θ̂² τ² / (2 V (V + τ²))).
/// Under "no difference" Λ is a non-negative martingale with mean 1, so by Ville's inequality it exceeds 1/α with
/// probability at most α at any time, however often one looks: p = min(1, 1/Λ) is valid at every look, and the
/// running minimum over looks is the always-valid p-value. Inverting Λ &lt; 1/α gives the confidence sequence
/// θ̂ ± √( V (V + τ²) / τ² · (2 ln(1/α) + ln((V + τ²) / V)) ).
/// τ² (the mixing variance) is the squared size of effect one expects: a small τ finds small effects sooner and big
/// ones later, and vice versa; the guarantee holds for any τ chosen before the data.
/// </summary>
public static class MixtureSprt
{
    /// <summary>Evaluates one look from a difference and its variance.</summary>
    public static SequentialResult Evaluate(double difference, double variance, double mixingVariance, double alpha)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mixingVariance);
        if (alpha is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must lie in (0, 1)");
        }

        if (!(variance > 0) || !double.IsFinite(difference))
        {
            // Nothing to measure yet (no data, or every outcome identical): no evidence either way.
            return new SequentialResult(double.IsFinite(difference) ? difference : 0, variance, 1, 1, double.NegativeInfinity, double.PositiveInfinity);
        }

        var total = variance + mixingVariance;
        var logRatio = 0.5 * Math.Log(variance / total) + difference * difference * mixingVariance / (2 * variance * total);
        var ratio = Math.Exp(logRatio);
        var pValue = Math.Min(1, Math.Exp(-logRatio));
        var halfWidth = Math.Sqrt(variance * total / mixingVariance * (2 * Math.Log(1 / alpha) + Math.Log(total / variance)));
        return new SequentialResult(difference, variance, ratio, pValue, difference - halfWidth, difference + halfWidth);
    }

    /// <summary>
    /// Two proportions: successes/trials of control and treatment; the variance is the unpooled
    /// p̂ₐ(1 − p̂ₐ)/nₐ + p̂ᵦ(1 − p̂ᵦ)/nᵦ.
    /// </summary>
    public static SequentialResult Proportions(long controlSuccesses, long controlTrials, long treatmentSuccesses, long treatmentTrials, double mixingVariance, double alpha)
    {
        if (controlTrials <= 0 || treatmentTrials <= 0)
        {
            return Evaluate(0, 0, mixingVariance, alpha);
        }

        var pa = (double)controlSuccesses / controlTrials;
        var pb = (double)treatmentSuccesses / treatmentTrials;
        var variance = pa * (1 - pa) / controlTrials + pb * (1 - pb) / treatmentTrials;
        return Evaluate(pb - pa, variance, mixingVariance, alpha);
    }

    /// <summary>Always-valid p-value across looks: never rises again once it fell.</summary>
    public static double RunningMinimum(double previous, double current) => Math.Min(previous, current);
}
