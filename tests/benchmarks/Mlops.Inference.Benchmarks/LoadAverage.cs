namespace Mlops.Inference.Benchmarks;

/// <summary>The machine's load (1, 5 and 15 min), printed beside the figures: the benchmark machine is shared.</summary>
internal static class LoadAverage
{
    public static string Read()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
