using Microsoft.Extensions.Options;
using Mlops.Inference.Models;

namespace Mlops.Inference.Streaming;

/// <summary>
/// Warms the online cache at start from the features service's online store, page by page, so a restarted pod or a
/// new replica knows every entity before its first request (a cache miss also reads through, see
/// <see cref="FeaturesClient"/>). Vectors already received from Kafka are never replaced by older ones. A features
/// service that does not answer is retried in the background with growing pauses.
/// </summary>
public sealed class FeatureCacheWarmer(FeaturesClient features, OnlineFeatureCache cache, IOptions<InferenceOptions> options, ILogger<FeatureCacheWarmer> logger)
    : BackgroundService
{
    const int PageSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!features.Configured)
        {
            return;
        }

        string? after = null;
        var loaded = 0;
        var delay = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var page = await features.PageAsync(after, PageSize, stoppingToken);
                foreach (var vector in page.Items)
                {
                    cache.Update(vector.ToEvent());
                }

                loaded += page.Items.Count;
                if (page.Next is null)
                {
                    logger.LogInformation("Online cache warmed with {Count} entities from the features service", loaded);
                    return;
                }

                after = page.Next;
                delay = TimeSpan.FromMilliseconds(500);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Features service not read ({Reason}); retrying in {Delay}", ex.Message, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Value.MaxRetryDelay.Ticks));
            }
        }
    }
}
