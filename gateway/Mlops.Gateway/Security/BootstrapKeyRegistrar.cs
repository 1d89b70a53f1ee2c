using Mlops.ServiceDefaults.Resilience;

namespace Mlops.Gateway.Security;

/// <summary>
/// Records the bootstrap admin key (<c>MLOPS_API_KEY</c> from configuration) in the key table, as a hash, so it works
/// like any other key (listed, revocable). The database may not answer yet at start: the registrar retries until it
/// does, and the key is refused (503) until then rather than accepted unchecked.
/// </summary>
public sealed class BootstrapKeyRegistrar(IConfiguration configuration, ApiKeyStore store, ApiKeyValidator validator, TimeProvider time, ILogger<BootstrapKeyRegistrar> logger)
    : BackgroundService
{
    public const string Name = "bootstrap (MLOPS_API_KEY)";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var configured = configuration[ApiKeyOptions.BootstrapKeySetting];
        if (string.IsNullOrWhiteSpace(configured))
        {
            logger.LogWarning("{Setting} is not configured: no bootstrap admin key; keys must already exist in the gateway database", ApiKeyOptions.BootstrapKeySetting);
            return;
        }

        if (!ApiKeySecret.TryParse(configured.Trim(), out var id, out var secret))
        {
            // AddGatewaySecurity refuses to start with such a key; this guards a configuration reloaded later.
            logger.LogError("{Setting} is not a key in the format {Prefix}<id>_<secret>; it is ignored", ApiKeyOptions.BootstrapKeySetting, ApiKeySecret.Prefix);
            return;
        }

        var key = new ApiKeyRecord(id, Name, [Roles.Admin], ApiKeySecret.Hash(secret), time.GetUtcNow(), "configuration", null);
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.UpsertBootstrapAsync(key, stoppingToken);
                validator.Forget(id);
                logger.LogInformation("Bootstrap admin key {KeyId} recorded (hash only)", id);
                return;
            }
            catch (Exception ex) when (TransientFailure.Is(ex, stoppingToken))
            {
                logger.LogWarning("Could not record the bootstrap key yet ({Reason}); retrying in {Delay}", ex.Message, delay);
                await Task.Delay(delay, time, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }
}
