using MathNet.Numerics.Distributions;
using Mlops.Gateway.Experiments;
using Xunit.Abstractions;

namespace Mlops.Gateway.Tests.Experiments;

/// <summary>
/// The mSPRT's guarantees by simulation (seeded, so every run draws the same experiments): peeking after every batch
/// keeps the false-positive rate at α, and a real difference is found.
/// </summary>
public sealed class MixtureSprtTests(ITestOutputHelper output)
{
    const double Alpha = 0.05;
    const int Batch = 100;
    const int Looks = 100;

    /// <summary>Fraction of experiments whose always-valid p-value fell to α at some look.</summary>
    static (double Rejected, double MeanStop) Simulate(int experiments, double control, double treatment, int seed)
    {
        var random = new Random(seed);
        var rejected = 0;
        long stoppedAt = 0;
        for (var e = 0; e < experiments; e++)
        {
            long na = 0, sa = 0, nb = 0, sb = 0;
            var minP = 1.0;
            for (var look = 1; look <= Looks; look++)
            {
                sa += Binomial.Sample(random, control, Batch);
                sb += Binomial.Sample(random, treatment, Batch);
                na += Batch;
                nb += Batch;
                minP = MixtureSprt.RunningMinimum(minP, MixtureSprt.Proportions(sa, na, sb, nb, ExperimentsApi.DefaultMixingVariance, Alpha).PValue);
                if (minP <= Alpha)
                {
                    rejected++;
                    stoppedAt += na;
                    break;
                }
            }
        }

        return ((double)rejected / experiments, rejected == 0 ? double.NaN : (double)stoppedAt / rejected);
    }

    [Fact]
    public void AaExperiments_PeekingAfterEveryBatch_FalsePositiveRateAtMostAlphaPlusOnePoint()
    {
        var (rate, _) = Simulate(2_000, 0.10, 0.10, seed: 20261202);

        output.WriteLine($"A/A false-positive rate over 2,000 experiments x {Looks} looks of {Batch} per arm: {rate:P2}");
        Assert.True(rate <= Alpha + 0.01, $"false-positive rate {rate:P2} exceeds α + 1 pp");
    }

    [Fact]
    public void NaiveFixedHorizonTest_PeekingAfterEveryBatch_FalsePositiveRateFarAboveAlpha()
    {
        // The control experiment for the test above: the same peeking with an ordinary z-test is what mSPRT prevents.
        var random = new Random(20261202);
        var rejected = 0;
        for (var e = 0; e < 2_000; e++)
        {
            long sa = 0, sb = 0, n = 0;
            for (var look = 1; look <= Looks; look++)
            {
                sa += Binomial.Sample(random, 0.10, Batch);
                sb += Binomial.Sample(random, 0.10, Batch);
                n += Batch;
                double pa = (double)sa / n, pb = (double)sb / n;
                var z = (pb - pa) / Math.Sqrt((pa * (1 - pa) + pb * (1 - pb)) / n);
                if (Math.Abs(z) > 1.959964)
                {
                    rejected++;
                    break;
                }
            }
        }

        var rate = rejected / 2_000.0;
        output.WriteLine($"naive z-test with the same peeking: {rate:P2}");
        Assert.True(rate > 3 * Alpha);
    }

    [Fact]
    public void RealDifference_TenToTwelvePercent_FoundInMostExperiments()
    {
        var (power, meanStop) = Simulate(1_000, 0.10, 0.12, seed: 7);

        output.WriteLine($"power for 10 % -> 12 % within {Batch * Looks:N0} per arm: {power:P1}, mean stop at {meanStop:N0} per arm");
        Assert.True(power >= 0.9, $"power {power:P1}");
    }

    [Fact]
    public void Evaluate_ClosedForm_MatchesTheMixtureIntegral()
    {
        // Λ = ∫ φ(θ̂; θ, V) φ(θ; 0, τ²) dθ / φ(θ̂; 0, V), integrated numerically.
        double difference = 0.012, variance = 2.5e-5, tau2 = 1e-4;
        var numerator = MathNet.Numerics.Integrate.OnClosedInterval(
            theta => Normal.PDF(theta, Math.Sqrt(variance), difference) * Normal.PDF(0, Math.Sqrt(tau2), theta), -0.2, 0.2, 1e-12);
        var expected = numerator / Normal.PDF(0, Math.Sqrt(variance), difference);

        var result = MixtureSprt.Evaluate(difference, variance, tau2, Alpha);

        Assert.Equal(expected, result.LikelihoodRatio, expected * 1e-6);
        Assert.Equal(Math.Min(1, 1 / expected), result.PValue, 1e-9);
    }

    [Fact]
    public void Evaluate_ConfidenceSequence_ExcludesZeroExactlyWhenPValueBelowAlpha()
    {
        foreach (var difference in new[] { 0.0, 0.005, 0.01, 0.012, 0.0135, 0.015, 0.03 })
        {
            var r = MixtureSprt.Evaluate(difference, 2.5e-5, 1e-4, Alpha);
            Assert.Equal(r.PValue <= Alpha, r.Lower > 0 || r.Upper < 0);
        }
    }

    [Fact]
    public void Proportions_NoVariance_GivesNoEvidence()
    {
        var r = MixtureSprt.Proportions(0, 100, 0, 100, 1e-4, Alpha);

        Assert.Equal(1, r.PValue);
    }
}
