using Mlops.Contracts.Features;
using Mlops.Contracts.Kafka;
using Mlops.Features.Labels;
using Mlops.Features.Storage;
using Mlops.Kafka.Consuming;

namespace Mlops.Features.Streaming;

/// <summary>Labels from <c>labels.v1</c>; idempotent by label id; an invalid label is dead-lettered with every reason.</summary>
public sealed class LabelHandler(FeatureStore store) : IKafkaEventHandler<LabelRecorded>
{
    /// <inheritdoc />
    public async Task HandleAsync(EventEnvelope<LabelRecorded> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        var label = envelope.Data;
        if (LabelValidator.Validate(label) is { Count: > 0 } errors)
        {
            throw new RejectEventException(LabelValidator.Describe(errors));
        }

        // Already on the topic: nothing to publish.
        await store.AddLabelAsync(label, publish: false, cancellationToken);
    }
}
