using System.Diagnostics;

namespace Mlops.OnnxRuntime.Tests;

[Collection(RuntimeCollection.Name)]
public sealed class MemoryTests(RuntimeFixture fixture)
{
    // A leak of even one small native object per run would add tens of MB over a million runs; the bound leaves
    // room for allocator noise only. Counts are checked exactly.
    [Fact]
    public void Run_MillionTimes_NeitherMemoryNorNativeHandlesGrow()
    {
        using var session = fixture.Environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression));
        var input = new float[] { 1f, 2f, 3f, 4f };
        long[] shape = [1, 4];
        RunMany(session, input, shape, 20_000);
        var (rssBefore, managedBefore) = Measure();
        var handlesBefore = OnnxRuntimeDiagnostics.LiveNativeObjects;

        var checksum = RunMany(session, input, shape, 1_000_000);

        var (rssAfter, managedAfter) = Measure();
        Assert.Equal(handlesBefore, OnnxRuntimeDiagnostics.LiveNativeObjects);
        Assert.True(rssAfter - rssBefore < 16 * 1024 * 1024, $"RSS grew by {(rssAfter - rssBefore) / 1024} KiB over a million runs.");
        Assert.True(managedAfter - managedBefore < 4 * 1024 * 1024, $"Managed heap grew by {(managedAfter - managedBefore) / 1024} KiB.");
        Assert.True(checksum > 0);
    }

    static double RunMany(InferenceSession session, float[] input, long[] shape, int count)
    {
        double sum = 0;
        for (var i = 0; i < count; i++)
        {
            using var result = session.Run("features", input, shape);
            sum += result.GetFloats(0)[0];
        }

        return sum;
    }

    static (long Rss, long Managed) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return (process.WorkingSet64, GC.GetTotalMemory(forceFullCollection: true));
    }
}
