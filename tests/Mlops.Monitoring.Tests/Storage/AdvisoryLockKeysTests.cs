using System.Reflection;
using Mlops.Monitoring.Scheduling;
using Mlops.ServiceDefaults.Background;
using Mlops.Monitoring.Storage;

namespace Mlops.Monitoring.Tests.Storage;

/// <summary>Monitoring's advisory lock keys: one per use, so a schema's creation never waits for (or blocks) a round.</summary>
public sealed class AdvisoryLockKeysTests
{
    [Fact]
    public void Keys_EveryUse_HasAKeyOfItsOwn()
    {
        var keys = typeof(AdvisoryLockKeys).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (f.Name, Key: (long)f.GetRawConstantValue()!)).ToList();

        Assert.Equal(6, keys.Count);
        Assert.Equal(keys.Count, keys.Select(k => k.Key).Distinct().Count());
        Assert.NotEqual(AdvisoryLockKeys.RetrainingSchema, RoundLock.DriftWindows);
    }
}
