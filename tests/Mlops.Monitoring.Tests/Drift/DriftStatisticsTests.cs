using System.Text.Json;
using Mlops.Monitoring.Drift;

namespace Mlops.Monitoring.Tests.Drift;

/// <summary>Every drift statistic against scipy on samples generated here: continuous, shifted, tied, categorical and binary.</summary>
public sealed class DriftStatisticsTests
{
    const double Tolerance = 1e-9;

    static readonly Lazy<(List<(string Name, double[] Reference, double[] Current)> Cases, IReadOnlyList<JsonElement> Expected)> Reference = new(() =>
    {
        var cases = Cases().ToList();
        return (cases, ReferenceScipy.Compute(cases.Select(c => (c.Reference, c.Current)).ToList()));
    });

    static IEnumerable<(string Name, double[] Reference, double[] Current)> Cases()
    {
        var random = new Random(20261202);
        double Normal(double mean, double sd) => mean + sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        double[] Normals(int n, double mean, double sd) => Enumerable.Range(0, n).Select(_ => Normal(mean, sd)).ToArray();
        double[] Categories(int n, double[] weights) => Enumerable.Range(0, n).Select(_ =>
        {
            var u = random.NextDouble() * weights.Sum();
            for (var k = 0; k < weights.Length; k++)
            {
                if ((u -= weights[k]) < 0)
                {
                    return (double)k;
                }
            }

            return weights.Length - 1.0;
        }).ToArray();

        yield return ("same distribution, unequal sizes", Normals(800, 70, 10), Normals(300, 70, 10));
        yield return ("shifted mean", Normals(600, 70, 10), Normals(250, 76, 10));
        yield return ("equal sizes", Normals(400, 0, 1), Normals(400, 0.2, 1.3));
        yield return ("small samples", Normals(37, 5, 2), Normals(23, 5.5, 2));
        yield return ("large reference", Normals(3000, 36.8, 0.6), Normals(1000, 37.4, 0.8));
        yield return ("rounded values with ties", Normals(900, 95, 3).Select(x => Math.Round(x)).ToArray(), Normals(500, 93, 3).Select(x => Math.Round(x)).ToArray());
        yield return ("four categories", Categories(700, [0.4, 0.3, 0.2, 0.1]), Categories(350, [0.25, 0.25, 0.25, 0.25]));
        yield return ("category missing from the window", Categories(500, [0.5, 0.3, 0.15, 0.05]), Categories(200, [0.6, 0.4]));
        yield return ("binary, same rate", Categories(600, [0.8, 0.2]), Categories(300, [0.8, 0.2]));
        yield return ("binary, changed rate", Categories(600, [0.8, 0.2]), Categories(300, [0.6, 0.4]));
        yield return ("heavy tail", Normals(500, 0, 1).Select(x => Math.Exp(x)).ToArray(), Normals(450, 0.3, 1).Select(x => Math.Exp(x)).ToArray());
    }

    public static TheoryData<int> CaseIndexes() => new(Enumerable.Range(0, Cases().Count()));

    static (string Name, double[] Reference, double[] Current, JsonElement Expected) Case(int index) =>
        (Reference.Value.Cases[index].Name, Reference.Value.Cases[index].Reference, Reference.Value.Cases[index].Current, Reference.Value.Expected[index]);

    static void Close(double expected, double actual, string what, string name) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance, $"{what} for '{name}': scipy {expected:R}, ours {actual:R}");

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void KolmogorovSmirnov_GeneratedSamples_MatchesScipyKs2samp(int index)
    {
        var (name, reference, current, expected) = Case(index);
        var (d, p) = KolmogorovSmirnovTest.Compute(reference, current);
        Close(expected.GetProperty("ks").GetDouble(), d, "D", name);
        Close(expected.GetProperty("ks_p").GetDouble(), p, "p", name);
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void ChiSquare_GeneratedSamples_MatchesScipyChi2Contingency(int index)
    {
        var (name, reference, current, expected) = Case(index);
        var (statistic, dof, p) = ChiSquareTest.Compute(reference, current);
        Assert.Equal(expected.GetProperty("chi2_dof").GetInt32(), dof);
        Close(expected.GetProperty("chi2").GetDouble(), statistic, "chi2", name);
        Close(expected.GetProperty("chi2_p").GetDouble(), p, "p", name);
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void ZTest_GeneratedSamples_MatchesPooledProportionsWithScipyNormal(int index)
    {
        var (name, reference, current, expected) = Case(index);
        var (z, p) = TwoProportionZTest.Compute(reference, current);
        Close(expected.GetProperty("z").GetDouble(), z, "z", name);
        Close(expected.GetProperty("z_p").GetDouble(), p, "p", name);
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void Wasserstein_GeneratedSamples_MatchesScipyWassersteinDistance(int index)
    {
        var (name, reference, current, expected) = Case(index);
        Close(expected.GetProperty("wasserstein").GetDouble(), WassersteinDistance.Compute(reference, current), "distance", name);
        Close(expected.GetProperty("wasserstein_norm").GetDouble(), WassersteinDistance.Normed(reference, current), "normed distance", name);
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void JensenShannon_GeneratedSamples_MatchesScipyJensenshannonOnEvidentlyBins(int index)
    {
        var (name, reference, current, expected) = Case(index);
        Close(expected.GetProperty("js").GetDouble(), JensenShannonDistance.Compute(reference, current), "distance", name);
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void Psi_GeneratedSamples_MatchesNumpyOnEvidentlyBins(int index)
    {
        var (name, reference, current, expected) = Case(index);
        Close(expected.GetProperty("psi").GetDouble(), PopulationStabilityIndex.Compute(reference, current), "psi", name);
    }

    [Fact]
    public void KolmogorovSmirnov_IdenticalSamples_StatisticZeroPValueOne()
    {
        double[] sample = [1, 2, 3, 4, 5, 6, 7];
        Assert.Equal((0.0, 1.0), KolmogorovSmirnovTest.Compute(sample, sample));
    }
}
