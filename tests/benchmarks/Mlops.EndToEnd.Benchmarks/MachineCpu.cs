namespace Mlops.EndToEnd.Benchmarks;

/// <summary>
/// The whole machine's busy CPU time (<c>/proc/stat</c>: every state but idle and iowait) and the Kafka broker's own
/// (<c>/proc/&lt;pid&gt;/stat</c> of the JVM running <c>kafka.Kafka</c>), so a run can say how much of the cores the
/// stream took and what the one process the per-service figures leave out costs.
/// </summary>
internal static class MachineCpu
{
    // USER_HZ, the unit of /proc's CPU times.
    const double TicksPerSecond = 100;

    public sealed record Snapshot(double BusyMilliseconds, double BrokerMilliseconds);

    public static Snapshot Take() => new(Busy(), Broker());

    static double Busy()
    {
        // "cpu  user nice system idle iowait irq softirq steal …" summed over all cores.
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var busy = fields.Sum() - fields[3] - fields[4];
        return busy * 1000 / TicksPerSecond;
    }

    static double Broker()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (!int.TryParse(Path.GetFileName(directory), out _)
                    || !File.ReadAllText(Path.Combine(directory, "cmdline")).Contains("kafka.Kafka", StringComparison.Ordinal))
                {
                    continue;
                }

                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return (long.Parse(fields[11]) + long.Parse(fields[12])) * 1000 / TicksPerSecond;
            }
            catch (IOException)
            {
                // The process ended while it was read.
            }
            catch (UnauthorizedAccessException)
            {
                // Another user's process.
            }
        }

        return 0;
    }
}
