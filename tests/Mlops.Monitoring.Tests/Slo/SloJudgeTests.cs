using Mlops.Monitoring.Slo;

namespace Mlops.Monitoring.Tests.Slo;

/// <summary>The SLO arithmetic on hand-computed numbers (objectives 0.999 availability, 0.99 latency; the workbook's rules).</summary>
public sealed class SloJudgeTests
{
    static readonly SloOptions Options = new();
    static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    static readonly TimeSpan FiveMinutes = TimeSpan.FromMinutes(5);

    [Fact]
    public void Accumulate_FirstReadingOfASeries_StartsAtTheRawValue()
    {
        Assert.Equal(new SloCounters(100, 2, 95), SloJudge.Accumulate(null, default, new(100, 2, 95)));
    }

    [Fact]
    public void Accumulate_CountersGrew_AddsTheDifference()
    {
        var total = SloJudge.Accumulate(new SloCounters(100, 2, 95), new SloCounters(1000, 20, 950), new(150, 3, 140));

        // 1000 + 50, 20 + 1, 950 + 45.
        Assert.Equal(new SloCounters(1050, 21, 995), total);
    }

    [Fact]
    public void Accumulate_CounterReset_AddsEverythingCountedSinceTheRestart()
    {
        var total = SloJudge.Accumulate(new SloCounters(100, 2, 95), new SloCounters(1000, 20, 950), new(10, 1, 9));

        // The pod restarted and counted 10, 1 and 9 since: 1000 + 10, 20 + 1, 950 + 9.
        Assert.Equal(new SloCounters(1010, 21, 959), total);
    }

    [Fact]
    public void Accumulate_OnlyOneCounterDropped_TheWholeSeriesRestarted()
    {
        // Successes (120 > 100) outgrew their value before the restart, errors (1 < 2) did not: all three restarted.
        var total = SloJudge.Accumulate(new SloCounters(100, 2, 95), new SloCounters(1000, 20, 950), new(120, 1, 118));

        Assert.Equal(new SloCounters(1120, 21, 1068), total);
    }

    [Fact]
    public void Increase_OverReadingsWithARestart_CountsLikePrometheusIncrease()
    {
        // Raw successes 100, 150, (restart) 20, 60: increase() = 50 + 20 + 40 = 110.
        SloCounters? raw = null;
        SloCounters total = default;
        var totals = new List<SloCounters>();
        foreach (var successes in (double[])[100, 150, 20, 60])
        {
            var reading = new SloCounters(successes, 0, successes);
            total = SloJudge.Accumulate(raw, total, reading);
            raw = reading;
            totals.Add(total);
        }

        Assert.Equal(110, SloJudge.Increase(totals[0], totals[^1]).Successes);
    }

    [Fact]
    public void Ratios_TwoCumulativeReadings_ErrorAndSlowRatiosOfTheWindow()
    {
        var window = SloJudge.Increase(new SloCounters(1000, 10, 990), new SloCounters(2000, 15, 1980));

        // 1000 successes and 5 errors: 5 / 1005 failed; 1000 − 990 = 10 of 1000 successes slow.
        Assert.Equal(5.0 / 1005, SloJudge.ErrorRatio(window)!.Value, 12);
        Assert.Equal(0.01, SloJudge.SlowRatio(window)!.Value, 12);
        Assert.Equal(5.0 / 1005 / 0.001, SloJudge.Burn(SloJudge.Availability, Hour, window, 0.999).BurnRate!.Value, 9);
        Assert.Equal(1.0, SloJudge.Burn(SloJudge.Latency, Hour, window, 0.99).BurnRate!.Value, 9);
    }

    [Fact]
    public void BurnRate_BadRatioOverBudget_HowManyTimesTooFast()
    {
        // 2 % errors against a 0.1 % budget burns it 20 times too fast.
        Assert.Equal(20, SloJudge.BurnRate(0.02, 0.999), 9);
    }

    [Fact]
    public void Burn_NoTraffic_NoRatioNoBurnRateAndNoAlert()
    {
        var burn = SloJudge.Burn(SloJudge.Availability, Hour, default, 0.999);
        var latency = SloJudge.Burn(SloJudge.Latency, Hour, new SloCounters(0, 3, 0), 0.99);

        Assert.Equal(new WindowBurn(Hour, 0, 0, null, null), burn);
        Assert.Null(latency.BurnRate);
        Assert.False(SloJudge.Fires(Options.EffectiveRules[0], burn, burn));
        var status = SloJudge.Evaluate("ews", "1.0.0", SloJudge.Availability, new Dictionary<TimeSpan, SloCounters>(), 250, Options, Now);
        Assert.All(status.Rules, r => Assert.False(r.Firing));
        Assert.Empty(SloJudge.Breaches([status]));
    }

    [Fact]
    public void Evaluate_ShortWindowRecovered_NoAlert()
    {
        var windows = new Dictionary<TimeSpan, SloCounters>
        {
            // Long: 200 of 10,000 failed (2 %, burn 20 > 14.4); short: 5 of 1,000 (0.5 %, burn 5): the burning stopped.
            [Hour] = new(9800, 200, 9800),
            [FiveMinutes] = new(995, 5, 995),
        };

        var status = SloJudge.Evaluate("ews", "1.0.0", SloJudge.Availability, windows, null, Options, Now);

        var page = status.Rules[0];
        Assert.Equal(20, page.Long.BurnRate!.Value, 9);
        Assert.Equal(5, page.Short.BurnRate!.Value, 9);
        Assert.False(page.Firing);
        Assert.Empty(SloJudge.Breaches([status]));
    }

    [Fact]
    public void Evaluate_BothWindowsBurning_PageWithEvidence()
    {
        var windows = new Dictionary<TimeSpan, SloCounters>
        {
            // Long: 200 of 10,000 failed (burn 20); short: 30 of 1,000 (3 %, burn 30); both above 14.4.
            [Hour] = new(9800, 200, 9800),
            [FiveMinutes] = new(970, 30, 970),
        };

        var status = SloJudge.Evaluate("ews", "1.0.0", SloJudge.Availability, windows, 250, Options, Now);
        var (slo, rule) = Assert.Single(SloJudge.Breaches([status]));

        Assert.Equal(("ews", "1.0.0", SloJudge.Availability, 0.999, (double?)null), (slo.ModelName, slo.ModelVersion, slo.Kind, slo.Objective, slo.LatencyThresholdMs));
        Assert.Equal((SloJudge.Page, 14.4), (rule.Severity, rule.BurnRateThreshold));
        Assert.Equal((Hour, 200L, 10000L), (rule.Long.Window, rule.Long.Bad, rule.Long.Total));
        Assert.Equal((FiveMinutes, 30L, 1000L), (rule.Short.Window, rule.Short.Bad, rule.Short.Total));
        Assert.Equal(20, rule.Long.BurnRate!.Value, 9);
        Assert.Equal(30, rule.Short.BurnRate!.Value, 9);
        // The 6 h / 30 min page and both tickets saw no traffic: they do not fire.
        Assert.Equal([true, false, false, false], status.Rules.Select(r => r.Firing));
    }

    [Fact]
    public void Evaluate_SlowSuccessesBeyondTicketRate_LatencyTicket()
    {
        var windows = new Dictionary<TimeSpan, SloCounters>
        {
            // 24 h: 4,000 of 100,000 successes slow (4 %, burn 4 > 3); 2 h: 500 of 10,000 (5 %, burn 5). Errors do not count.
            [TimeSpan.FromHours(24)] = new(100_000, 900, 96_000),
            [TimeSpan.FromHours(2)] = new(10_000, 90, 9_500),
        };

        var status = SloJudge.Evaluate("ews", "1.0.0", SloJudge.Latency, windows, 250, Options, Now);
        var (slo, rule) = Assert.Single(SloJudge.Breaches([status]));

        Assert.Equal((SloJudge.Latency, 0.99, (double?)250), (slo.Kind, slo.Objective, slo.LatencyThresholdMs));
        Assert.Equal((SloJudge.Ticket, 3.0), (rule.Severity, rule.BurnRateThreshold));
        Assert.Equal((4000L, 100_000L, 500L, 10_000L), (rule.Long.Bad, rule.Long.Total, rule.Short.Bad, rule.Short.Total));
        Assert.Equal(4, rule.Long.BurnRate!.Value, 9);
        Assert.Equal(5, rule.Short.BurnRate!.Value, 9);
    }

    [Fact]
    public void Fires_BurnRateExactlyAtTheThreshold_DoesNotFire()
    {
        var rule = new BurnRateRule { Severity = SloJudge.Ticket, LongWindow = Hour, ShortWindow = FiveMinutes, BurnRate = 2 };
        var atThreshold = new WindowBurn(Hour, 2, 1000, 0.002, 2);
        var above = new WindowBurn(FiveMinutes, 3, 1000, 0.003, 3);

        Assert.False(SloJudge.Fires(rule, atThreshold, above));
        Assert.True(SloJudge.Fires(rule, above, above));
    }

    [Fact]
    public void Breaches_TwoPageRulesFiring_OneAlertPerSeverityWithTheFirstRule()
    {
        var windows = new Dictionary<TimeSpan, SloCounters>
        {
            [Hour] = new(9000, 1000, 9000),
            [FiveMinutes] = new(900, 100, 900),
            [TimeSpan.FromHours(6)] = new(54_000, 6000, 54_000),
            [TimeSpan.FromMinutes(30)] = new(4500, 500, 4500),
        };

        var status = SloJudge.Evaluate("ews", "1.0.0", SloJudge.Availability, windows, null, Options, Now);
        var (_, rule) = Assert.Single(SloJudge.Breaches([status]));

        Assert.Equal(Hour, rule.Long.Window);
        Assert.Equal([true, true, false, false], status.Rules.Select(r => r.Firing));
    }

    [Fact]
    public void AccumulateBuckets_AcrossARestart_EachBucketContinuesItsTotal()
    {
        double[] bounds = [1, 10, 100];
        var before = new LatencyBuckets(bounds, [10, 80, 100]);
        var total = new LatencyBuckets(bounds, [50, 400, 500]);
        var afterRestart = new LatencyBuckets(bounds, [2, 5, 6]);
        var grown = new LatencyBuckets(bounds, [12, 90, 120]);

        Assert.True(SloJudge.Restarted(new(100, 0, 80), new(120, 0, 90), before, new LatencyBuckets(bounds, [9, 90, 120])));
        Assert.Equal([52.0, 405, 506], SloJudge.AccumulateBuckets(before, total, afterRestart, restarted: true).Counts);
        Assert.Equal([52.0, 410, 520], SloJudge.AccumulateBuckets(before, total, grown, restarted: false).Counts);
    }

    [Fact]
    public void IncreaseBuckets_BoundsChanged_NoHistogramForTheWindow()
    {
        var start = new LatencyBuckets([1, 10], [5, 50]);

        Assert.Equal([3.0, 30], SloJudge.IncreaseBuckets(start, new LatencyBuckets([1, 10], [8, 80]))!.Counts);
        Assert.Null(SloJudge.IncreaseBuckets(start, new LatencyBuckets([1, 10, 100], [8, 80, 90])));
        Assert.Null(SloJudge.IncreaseBuckets(null, start));
    }

    [Fact]
    public void Evaluate_ModelObjectives_ReplaceTheServiceWideOnes()
    {
        var windows = new Dictionary<TimeSpan, SloCounters> { [Hour] = new(1000, 0, 985), [FiveMinutes] = new(100, 0, 98) };

        var shipped = SloJudge.Evaluate("ews", "1.0.0", SloJudge.Latency, windows, 250, Options, Now);
        var lenient = SloJudge.Evaluate("ews", "1.0.0", SloJudge.Latency, windows, 250, Options, Now, new SloObjectives(250, 0.9, 0.999));

        // 1.5 % slow over the hour burns a 1 % budget 1.5 times, a 10 % budget 0.15 times.
        Assert.Equal((0.99, 1.5), (shipped.Objective, shipped.Rules[0].Long.BurnRate!.Value), new ApproximateTuple());
        Assert.Equal((0.9, 0.15), (lenient.Objective, lenient.Rules[0].Long.BurnRate!.Value), new ApproximateTuple());
    }

    sealed class ApproximateTuple : IEqualityComparer<(double, double)>
    {
        public bool Equals((double, double) x, (double, double) y) => Math.Abs(x.Item1 - y.Item1) < 1e-9 && Math.Abs(x.Item2 - y.Item2) < 1e-9;

        public int GetHashCode((double, double) obj) => 0;
    }
}
