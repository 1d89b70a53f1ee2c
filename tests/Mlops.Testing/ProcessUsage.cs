using System.Diagnostics;

namespace Mlops.Testing;

/// <summary>What a process has used so far, read fresh (a <see cref="Process"/> caches its figures until refreshed).</summary>
public static class ProcessUsage
{
    /// <summary>The most memory the process has held resident (Linux VmHWM), for benchmarks that report peak RSS.</summary>
    public static long PeakResidentBytes(Process process)
    {
        process.Refresh();
        return process.PeakWorkingSet64;
    }

    /// <summary>The memory the process holds resident now (Linux VmRSS).</summary>
    public static long ResidentBytes(Process process)
    {
        process.Refresh();
        return process.WorkingSet64;
    }

    /// <summary>CPU time (user + system), for benchmarks that report CPU cost per item.</summary>
    public static TimeSpan CpuTime(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }
}
