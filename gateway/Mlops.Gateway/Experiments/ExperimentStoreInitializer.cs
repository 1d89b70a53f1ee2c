namespace Mlops.Gateway.Experiments;

/// <summary>
/// Creates the experiment tables at start when the database answers; when it does not, the gateway still starts
/// (routing needs no database) and the first experiment request creates them.
/// </summary>
internal sealed class ExperimentStoreInitializer(ExperimentStore store, ILogger<ExperimentStoreInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.EnsureSchemaAsync(cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            logger.LogWarning(e, "Experiment tables not created at start (database unavailable); the first experiment request retries");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
