using System.Diagnostics;

namespace Mlops.EndToEnd.Benchmarks;

/// <summary>
/// Sends on a fixed schedule whatever happened to earlier sends: item i is due at start + i / rate and is handed to the
/// sender as soon as the clock passes that instant, never held back because an earlier item has not been answered. A
/// closed loop (send, wait, send) slows down exactly when the system does and so hides the queueing a steady upstream
/// would meet (coordinated omission); latencies are measured from the due time, so even the scheduler's own lag counts.
/// </summary>
internal static class OpenLoop
{
    /// <summary>Runs on the calling thread until every item was sent; fills <paramref name="due"/> and <paramref name="sent"/> (Stopwatch ticks).</summary>
    public static void Run(int first, int count, double rate, long[] due, long[] sent, Action<int> send)
    {
        var start = Stopwatch.GetTimestamp();
        for (var n = 0; n < count; n++)
        {
            var i = first + n;
            due[i] = start + (long)(n * Stopwatch.Frequency / rate);
            while (Stopwatch.GetTimestamp() < due[i])
            {
                // About a millisecond on Linux: at 1,000/s at most one item late by that, and no core burnt spinning on a
                // two-core machine that also runs the pipeline being measured.
                Thread.Sleep(1);
            }

            sent[i] = Stopwatch.GetTimestamp();
            send(i);
        }
    }

    /// <summary>Milliseconds between two Stopwatch timestamps.</summary>
    public static double Milliseconds(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}
