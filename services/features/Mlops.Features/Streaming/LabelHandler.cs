using Mlops.Contracts.Features;
using Mlops.Contracts.Kafka;
using Mlops.Features.Storage;
using Mlops.Kafka.Consuming;

namespace Mlops.Features.Streaming;

/// <summary>Labels from <c>labels.v1</c>; idempotent by label id.</summary>
public sealed class LabelHandler(FeatureStore store) : IKafkaEventHandler<LabelRecorded>
{
    /// <inheritdoc />
    public async Task HandleAsync(EventEnvelope<LabelRecorded> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        var label = envelope.Data;
        if (string.IsNullOrWhiteSpace(label.LabelId) || string.IsNullOrWhiteSpace(label.EntityId) || string.IsNullOrWhiteSpace(label.Name) || !double.IsFinite(label.Value))
        {
            throw new RejectEventException("a label needs labelId, entityId, name and a finite value");
        }

        await store.AddLabelAsync(label.LabelId, label.EntityId, label.Name, label.Value, label.EventTime, cancellationToken);
    }
}
