using System.Diagnostics;
using System.Globalization;
using Mlops.Testing;

namespace Mlops.EndToEnd.Benchmarks;

/// <summary>
/// The leak check of a long steady stream: every process's resident memory (VmRSS) sampled at a fixed interval while
/// the stream runs, reported at each tenth of it, with the trend over its second half (a least-squares slope). A process
/// first grows to a plateau (tiered compilation, GC budgets, pools and caches filling); a leak keeps growing after it,
/// so the verdict looks only at the second half.
/// </summary>
public sealed class ResidentMemorySampler : IAsyncDisposable
{
    // Growth over the second half beyond this share of the process's size is reported as growth, not a plateau.
    const double GrowthTolerance = 0.05;
    const double MinimumJudgedSeconds = 300;

    readonly (string Name, ServiceProcess Process)[] _processes;
    readonly List<(double Seconds, long[] Bytes)> _samples = [];
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public ResidentMemorySampler(IEnumerable<(string Name, ServiceProcess Process)> processes, TimeSpan interval)
    {
        _processes = [.. processes];
        _loop = SampleAsync(interval);
    }

    async Task SampleAsync(TimeSpan interval)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                var sample = (clock.Elapsed.TotalSeconds, _processes.Select(p => p.Process.HasExited ? 0 : p.Process.ResidentBytes).ToArray());
                lock (_samples)
                {
                    _samples.Add(sample);
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // the report asked for the samples
        }
    }

    /// <summary>Stops sampling and writes the table and the verdict per process.</summary>
    public async Task ReportAsync(TextWriter output)
    {
        await _stop.CancelAsync();
        await _loop;
        (double Seconds, long[] Bytes)[] samples;
        lock (_samples)
        {
            samples = [.. _samples];
        }

        if (samples.Length < 4)
        {
            output.WriteLine("  resident memory: too few samples for a trend (a run of a minute or more gives one)");
            return;
        }

        var span = samples[^1].Seconds;
        output.WriteLine($"  resident memory (VmRSS, MB) over the stream, {samples.Length} samples:");
        output.WriteLine("    " + "time".PadLeft(7) + string.Concat(_processes.Select(p => p.Name.PadLeft(11))));
        for (var tenth = 0; tenth <= 10; tenth++)
        {
            var at = samples.MinBy(s => Math.Abs(s.Seconds - span * tenth / 10))!;
            output.WriteLine("    " + $"{at.Seconds,6:F0}s" + string.Concat(at.Bytes.Select(b => Megabytes(b).PadLeft(11))));
        }

        var secondHalf = samples.Where(s => s.Seconds >= span / 2).ToArray();
        // Over a few minutes a GC's rhythm or a cache filling is a trend too; the verdict needs a long run.
        var judged = secondHalf[^1].Seconds - secondHalf[0].Seconds >= MinimumJudgedSeconds;
        for (var p = 0; p < _processes.Length; p++)
        {
            var slope = Slope(secondHalf.Select(s => (s.Seconds, (double)s.Bytes[p])).ToArray()); // bytes per second
            var growth = slope * (secondHalf[^1].Seconds - secondHalf[0].Seconds);
            var size = secondHalf.Average(s => (double)s.Bytes[p]);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {_processes[p].Name}: second half's trend {slope * 600 / 1048576:+0.0;-0.0} MB per 10 min ({growth / size:+0.0%;-0.0%} over it) — {(!judged ? "too short a run to judge (10 min or more)" : growth > size * GrowthTolerance ? "GROWS" : "flat")}"));
        }
    }

    static double Slope((double X, double Y)[] points)
    {
        var meanX = points.Average(p => p.X);
        var meanY = points.Average(p => p.Y);
        var covariance = points.Sum(p => (p.X - meanX) * (p.Y - meanY));
        var variance = points.Sum(p => (p.X - meanX) * (p.X - meanX));
        return variance == 0 ? 0 : covariance / variance;
    }

    static string Megabytes(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
