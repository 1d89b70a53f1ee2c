using System.Diagnostics;

namespace Mlops.Inference.Tests;

[Collection(SerialCollection.Name)]
public sealed class MemoryTests : IDisposable
{
    const int Block = 200_000;

    readonly Microsoft.Extensions.DependencyInjection.ServiceProvider _services = OnnxRuntime.Services();

    public void Dispose() => _services.Dispose();

    // Why blocks and not one before/after pair: RSS includes memory that the GC, glibc's arenas and ONNX Runtime's
    // arena keep committed after first use (the GC sizes its gen0 budget from the machine's cache, for one). That
    // rises to a plateau whose height depends on the machine — the old single before/after check saw +85 MB on fresh
    // machines and nothing on the author's. A leak does not plateau: it adds the same amount in every block. So after
    // a warm-up, block A lets every allocator reach its plateau, and of the next three blocks the smallest growth must
    // be (almost) nothing: a steady leak shows in all three, while a one-off rise from something else in this test
    // process (another test's host shutting down) shows in one at most. The bounds leave room for allocator noise yet
    // catch a leak of about 80 native or 3 managed bytes per run (16 MB / 512 KiB over 200 000 runs). Nothing here
    // depends on time.
    [Fact]
    public void Score_ManyRuns_NeitherManagedHeapNorRssKeepsGrowing()
    {
        var model = OnnxRuntime.Load(_services, File.ReadAllBytes(Models.PathOf(Models.V1)), Models.Features);
        float[] row = [120, 25, 90, 38, 95];
        var p = new double[1];
        var u = new double[1];
        Run(model, row, p, u, 20_000);
        Run(model, row, p, u, Block);
        var previous = Measure();
        var rss = new List<long>();
        var managed = new List<long>();

        for (var block = 0; block < 3; block++)
        {
            Run(model, row, p, u, Block);
            var now = Measure();
            rss.Add(now.Rss - previous.Rss);
            managed.Add(now.Managed - previous.Managed);
            previous = now;
        }

        var growth = $"growth per block of {Block} runs: RSS {string.Join(", ", rss.Select(b => b / 1024))} KiB, managed {string.Join(", ", managed.Select(b => b / 1024))} KiB";
        Assert.True(managed.Min() < 512 * 1024, "Managed heap keeps growing; " + growth);
        Assert.True(rss.Min() < 16 * 1024 * 1024, "RSS keeps growing; " + growth);
        Assert.Equal(Models.Expected(Models.V1, Models.Vitals(120, 25, 90, 38, 95)).Mean, p[0], 1e-5);
    }

    static void Run(Mlops.Inference.Models.LoadedModel model, float[] row, double[] p, double[] u, int count)
    {
        for (var i = 0; i < count; i++)
        {
            model.Score(row, 1, p, u);
        }
    }

    static (long Rss, long Managed) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return (process.WorkingSet64, managed);
    }
}
