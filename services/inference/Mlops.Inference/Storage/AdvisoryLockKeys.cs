namespace Mlops.Inference.Storage;

/// <summary>
/// Every PostgreSQL advisory lock key inference takes in its database, in one place so no two uses share a key: a
/// schema's creation waiting behind a job's planning (or the reverse) would stall a start-up for a whole job.
/// </summary>
public static class AdvisoryLockKeys
{
    /// <summary>Creating the prediction log's table (<c>Lineage/PredictionLogDatabase</c>).</summary>
    public const long PredictionLogSchema = 727274141;

    /// <summary>Creating the batch job tables (<c>Batch/BatchJobDatabase</c>).</summary>
    public const long BatchJobsSchema = 727274142;

    /// <summary>
    /// Planning one batch job: the first key of the two-key form <c>pg_advisory_lock(int, int)</c>, the second being the
    /// hash of the job's id. The two-key space never meets the one-key space above, so a job's hash cannot collide with a
    /// schema key; two jobs hashing alike only take turns.
    /// </summary>
    public const int BatchJobPlanning = 727274143;
}
