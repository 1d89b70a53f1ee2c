using System.Diagnostics;

namespace Mlops.Registry.Benchmarks;

/// <summary>
/// Runs Marten and the baseline interleaved in small rounds, so both see the same machine load (the
/// development machine is shared) and the ratio stays meaningful even when absolute figures wander.
/// </summary>
internal static class Measure
{
    public const int Rounds = 10;

    /// <summary>Operations per second of each side; <paramref name="store"/> (Marten) and <paramref name="baseline"/> get the global operation index.</summary>
    public static async Task<(double Store, double Baseline)> RatesAsync(int count, Func<int, Task> store, Func<int, Task> baseline)
    {
        var perRound = count / Rounds;
        TimeSpan storeTime = default, baselineTime = default;
        for (var round = 0; round < Rounds; round++)
        {
            storeTime += await TimeAsync(async () =>
            {
                for (var i = round * perRound; i < (round + 1) * perRound; i++)
                {
                    await store(i);
                }
            });
            baselineTime += await TimeAsync(async () =>
            {
                for (var i = round * perRound; i < (round + 1) * perRound; i++)
                {
                    await baseline(i);
                }
            });
        }

        return (perRound * Rounds / storeTime.TotalSeconds, perRound * Rounds / baselineTime.TotalSeconds);
    }

    /// <summary>Like <see cref="RatesAsync"/> with <paramref name="writers"/> concurrent writers, each on its own stream.</summary>
    public static async Task<(double Store, double Baseline)> ConcurrentRatesAsync(int count, int writers, Func<int, int, Task> store, Func<int, int, Task> baseline)
    {
        var perWriterRound = count / Rounds / writers;
        TimeSpan storeTime = default, baselineTime = default;
        for (var round = 0; round < Rounds; round++)
        {
            var first = round * perWriterRound;
            storeTime += await TimeAsync(() => Writers(writers, first, perWriterRound, store));
            baselineTime += await TimeAsync(() => Writers(writers, first, perWriterRound, baseline));
        }

        var total = perWriterRound * writers * Rounds;
        return (total / storeTime.TotalSeconds, total / baselineTime.TotalSeconds);
    }

    /// <summary>Median milliseconds of each side over <paramref name="repeats"/> alternating runs (after one warm-up each).</summary>
    public static async Task<(double Store, double Baseline)> MediansAsync(int repeats, Func<Task> store, Func<Task> baseline)
    {
        await store();
        await baseline();
        var storeTimes = new List<double>();
        var baselineTimes = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            storeTimes.Add((await TimeAsync(store)).TotalMilliseconds);
            baselineTimes.Add((await TimeAsync(baseline)).TotalMilliseconds);
        }

        return (Median(storeTimes), Median(baselineTimes));
    }

    static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    static Task Writers(int writers, int first, int perWriter, Func<int, int, Task> append) =>
        Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = first; i < first + perWriter; i++)
            {
                await append(w, i);
            }
        })));

    static async Task<TimeSpan> TimeAsync(Func<Task> run)
    {
        var started = Stopwatch.GetTimestamp();
        await run();
        return Stopwatch.GetElapsedTime(started);
    }
}
