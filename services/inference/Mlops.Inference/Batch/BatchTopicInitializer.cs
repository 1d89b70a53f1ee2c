using Microsoft.Extensions.Options;
using Mlops.Kafka;

namespace Mlops.Inference.Batch;

/// <summary>
/// Makes sure the chunk topic exists before the chunk consumer subscribes (registered before it), so a platform whose
/// topics were created before this topic existed does not wait for a metadata refresh to see the first job's chunks.
/// Best effort: a broker that does not answer is the consumer's to wait out, not a reason to fail the start.
/// </summary>
public sealed class BatchTopicInitializer(KafkaTopicAdmin topics, IOptions<BatchJobOptions> options, ILogger<BatchTopicInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await topics.EnsureTopicsAsync([options.Value.Topic], options.Value.Partitions, TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Batch chunk topic {Topic} not confirmed at start ({Reason}); the planner creates it with the first job", options.Value.Topic, ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
