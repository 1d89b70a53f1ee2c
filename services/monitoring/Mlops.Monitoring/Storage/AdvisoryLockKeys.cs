namespace Mlops.Monitoring.Storage;

/// <summary>
/// Every PostgreSQL advisory lock key monitoring takes in its database, in one place so no two uses share a key: a
/// schema's creation (transaction-level) sharing a round's key (session-level) would make the round skip while the
/// schema is created, and the creation wait for a whole round.
/// </summary>
public static class AdvisoryLockKeys
{
    /// <summary>Creating <see cref="MonitoringDatabase"/>'s tables.</summary>
    public const long MonitoringSchema = 727274301;

    /// <summary>The drift window round (<see cref="Scheduling.RoundLock.DriftWindows"/>).</summary>
    public const long DriftWindowsRound = 727274302;

    /// <summary>The delayed-label performance round.</summary>
    public const long PerformanceRound = 727274303;

    /// <summary>The SLO scrape-and-judge round.</summary>
    public const long SloRound = 727274304;

    /// <summary>Creating the retraining saga's tables (<c>Retraining/RetrainingStore</c>).</summary>
    public const long RetrainingSchema = 727274305;

    /// <summary>Creating the per-model settings table.</summary>
    public const long ModelSettingsSchema = 727274310;
}
