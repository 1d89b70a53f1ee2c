using Npgsql;

namespace Mlops.Features.Storage;

/// <summary>
/// Keeps <see cref="OnlineFeatureCache"/> coherent with the other replicas: one connection per process LISTENs on
/// <c>online_vectors</c>, which the table's trigger notifies at every committed write (payload
/// <c>{set version} {row version} {entity id}</c>). A connection that fails or stops answering the liveness probe
/// makes the cache read through until the listener is back; reconnects back off up to 10 s.
/// </summary>
public sealed class OnlineVectorListener(FeatureDatabase database, OnlineFeatureCache cache, ILogger<OnlineVectorListener> logger) : BackgroundService
{
    /// <summary>The channel the <c>online_vectors_changed</c> trigger notifies.</summary>
    public const string Channel = "online_vectors";

    // Idle longer than this, the connection is probed, so a silently dropped one is noticed.
    static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(15);
    static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Opening through FeatureDatabase creates the table and its trigger first, if this process has not yet.
                await using var connection = await database.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                cache.StartListening();
                logger.LogInformation("Online cache listening for committed vectors of every replica");
                backoff = TimeSpan.FromMilliseconds(250);
                while (true)
                {
                    if (!await connection.WaitAsync(ProbeInterval, stoppingToken))
                    {
                        await using var probe = new NpgsqlCommand("SELECT 1", connection);
                        await probe.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Whatever broke the connection, notifications may be lost from here on: stop trusting the cache.
                cache.StopListening();
                logger.LogWarning("Online cache listener lost its connection ({Reason}); reads go to the database until it is back, retrying in {Delay}", ex.Message, backoff);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }

        cache.StopListening();
    }

    void OnNotification(string payload)
    {
        var parts = payload.Split(' ', 3);
        if (parts.Length == 3 && long.TryParse(parts[1], out var version))
        {
            cache.Invalidate(parts[0], parts[2], version);
        }
        else
        {
            // Not written by the trigger: which key changed is unknown, so nothing cached is trusted any more.
            logger.LogWarning("Unreadable online vector notification '{Payload}'; the online cache starts again", payload);
            cache.StartListening();
        }
    }
}
