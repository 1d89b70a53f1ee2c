using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Mlops.Gateway.Shadow;

/// <summary>
/// The bounded queue between the proxy pipeline and the shadow workers. Writing never waits: a full queue drops the
/// mirror and counts it, so the primary is never slowed by the shadow.
/// </summary>
public sealed class ShadowQueue
{
    readonly Channel<ShadowRequest> _channel;

    public ShadowQueue(IOptions<ShadowOptions> options, ShadowComparisons comparisons)
    {
        Comparisons = comparisons;
        _channel = Channel.CreateBounded<ShadowRequest>(new BoundedChannelOptions(options.Value.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
        ShadowTelemetry.ObserveQueue(() => _channel.Reader.Count);
    }

    ShadowComparisons Comparisons { get; }

    public ChannelReader<ShadowRequest> Reader => _channel.Reader;

    /// <summary>Queues a mirror; false (and counted as dropped) when the queue is full.</summary>
    public bool TryEnqueue(ShadowRequest request)
    {
        var queued = _channel.Writer.TryWrite(request);
        Comparisons.Count(request.ModelName, queued ? ShadowOutcome.Queued : ShadowOutcome.Dropped);
        return queued;
    }
}
