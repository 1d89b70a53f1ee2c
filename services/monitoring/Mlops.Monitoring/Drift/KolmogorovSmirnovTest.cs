namespace Mlops.Monitoring.Drift;

/// <summary>
/// Two-sample Kolmogorov–Smirnov test, two-sided, as scipy's <c>ks_2samp</c> with <c>method='auto'</c>: the statistic is
/// the largest gap between the two empirical CDFs; the p-value is exact (lattice-path counting, the Hodges treatment)
/// while both samples have at most <see cref="MaxExactN"/> values. Larger samples use the Kolmogorov limit distribution,
/// which scipy replaces by its finite-n <c>kstwo</c>: the two agree to about 1e-3 there, not to 1e-9 (see docs/monitoring.md).
/// </summary>
public static class KolmogorovSmirnovTest
{
    /// <summary>Largest sample size for which the exact p-value is attempted (scipy's <c>MAX_AUTO_N</c>).</summary>
    public const int MaxExactN = 10_000;

    /// <summary>Statistic D and two-sided p-value.</summary>
    public static (double Statistic, double PValue) Compute(IReadOnlyList<double> sample1, IReadOnlyList<double> sample2)
    {
        if (sample1.Count == 0 || sample2.Count == 0)
        {
            throw new ArgumentException("Both samples need at least one value.");
        }

        var a = sample1.Order().ToArray();
        var b = sample2.Order().ToArray();
        var d = Statistic(a, b);
        int n1 = a.Length, n2 = b.Length;
        if (Math.Max(n1, n2) <= MaxExactN && TryExact(n1, n2, d, out var exactD, out var p))
        {
            return (exactD, Math.Clamp(p, 0, 1));
        }

        double m = Math.Max(n1, n2), n = Math.Min(n1, n2);
        var en = m * n / (m + n);
        return (d, Math.Clamp(KolmogorovSurvival(Math.Sqrt(Math.Round(en)) * d), 0, 1));
    }

    /// <summary>sup |F1 − F2| over every observed value, with right-continuous ECDFs (ties handled as scipy's searchsorted 'right').</summary>
    static double Statistic(double[] a, double[] b)
    {
        int i = 0, j = 0;
        double max = 0;
        while (i < a.Length || j < b.Length)
        {
            // Step past every copy of the next smallest value in both samples before comparing.
            var x = j >= b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            while (i < a.Length && a[i] <= x)
            {
                i++;
            }

            while (j < b.Length && b[j] <= x)
            {
                j++;
            }

            max = Math.Max(max, Math.Abs((double)i / a.Length - (double)j / b.Length));
        }

        return max;
    }

    static bool TryExact(int n1, int n2, double d, out double snappedD, out double probability)
    {
        var g = Gcd(n1, n2);
        var lcm = (double)(n1 / g) * n2;
        // The statistic is a multiple of 1/lcm; rounding removes the floating-point noise of the CDF differences.
        var h = (long)Math.Round(d * lcm, MidpointRounding.ToEven);
        snappedD = h / lcm;
        if (h == 0)
        {
            probability = 1.0;
            return true;
        }

        probability = n1 == n2 ? ProbabilityOutsideSquare(n1, h) : OuterProbabilityInside(n1, n2, g, h);
        return double.IsFinite(probability) && probability is >= 0 and <= 1;
    }

    /// <summary>
    /// P(D ≥ h/n) for equal sizes: 2·Σ(−1)^(k+1) C(2n, n−kh)/C(2n, n), summed Horner-fashion from the smallest term so
    /// the alternating series does not cancel.
    /// </summary>
    static double ProbabilityOutsideSquare(long n, long h)
    {
        var total = 0.0;
        for (var k = n / h; k >= 0; k--)
        {
            var term = 1.0;
            for (long j = 0; j < h; j++)
            {
                term = (n - k * h - j) * term / (n + k * h + j + 1);
            }

            total = term * (1.0 - total);
        }

        return 2 * total;
    }

    /// <summary>
    /// Share of monotone lattice paths from (0,0) to (m,n) that leave the band |x·n/g − y·m/g| &lt; h at some point.
    /// One column of shares is kept (a cell outside the band counts as 1: already out), inside a sliding window of the rows
    /// the band allows; normalising by i + j as it is built keeps every value in [0, 1], so nothing overflows.
    /// </summary>
    static double OuterProbabilityInside(long m, long n, long g, long h)
    {
        if (m < n)
        {
            (m, n) = (n, m);
        }

        long mg = m / g, ng = n / g;
        long minJ = 0, maxJ = Math.Min((long)Math.Ceiling((double)h / mg), n + 1);
        var curLen = maxJ - minJ;
        var lenA = Math.Min(2 * maxJ + 2, n + 1);
        var a = new double[lenA];
        Array.Fill(a, 1.0);
        for (var k = minJ; k < maxJ; k++)
        {
            a[k] = 0.0;
        }

        for (long i = 1; i <= m; i++)
        {
            long lastMinJ = minJ, lastLen = curLen;
            minJ = Math.Max((long)Math.Floor((double)(ng * i - h) / mg) + 1, 0);
            minJ = Math.Min(minJ, n);
            maxJ = Math.Min((long)Math.Ceiling((double)(ng * i + h) / mg), n + 1);
            if (maxJ <= minJ)
            {
                return 1.0;
            }

            var value = minJ == 0 ? 0.0 : 1.0;
            for (long jj = 0; jj < maxJ - minJ; jj++)
            {
                var j = jj + minJ;
                value = (a[jj + minJ - lastMinJ] * i + value * j) / (i + j);
                a[jj] = value;
            }

            curLen = maxJ - minJ;
            if (lastLen > curLen)
            {
                for (var k = maxJ - minJ; k < maxJ - minJ + (lastLen - curLen) && k < lenA; k++)
                {
                    a[k] = 1.0;
                }
            }
        }

        return a[maxJ - minJ - 1];
    }

    /// <summary>Kolmogorov's limit: P(K &gt; x) = 2·Σ(−1)^(k−1)·exp(−2k²x²).</summary>
    static double KolmogorovSurvival(double x)
    {
        if (x <= 0)
        {
            return 1.0;
        }

        if (x < 0.3)
        {
            // The alternating series converges slowly here; the survival is 1 to double precision anyway.
            return 1.0;
        }

        var sum = 0.0;
        for (var k = 1; k <= 100; k++)
        {
            var term = Math.Exp(-2.0 * k * k * x * x);
            sum += (k % 2 == 1 ? 1 : -1) * term;
            if (term < 1e-17)
            {
                break;
            }
        }

        return 2 * sum;
    }

    static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
