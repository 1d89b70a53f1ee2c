using System.Text.Json;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Ingestion;
using Mlops.Ingestion.Schemas;
using Mlops.Contracts.Kafka;
using Mlops.Kafka;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Producing;

namespace Mlops.Ingestion.Intake;

/// <summary>
/// Kafka intake from <c>observations.raw.v1</c>: valid records are stored like HTTP ones (a redelivered record is
/// a duplicate, not a second row); invalid ones go to <c>observations.rejected.v1</c> with every reason.
/// Records that are not even envelopes are dead-lettered by the consumer host.
/// </summary>
public sealed class RawObservationHandler(ObservationIntake intake, IEventProducer producer, IOptions<IngestionOptions> options, TimeProvider clock) : IKafkaEventHandler<RawObservation>
{
    /// <inheritdoc />
    public async Task HandleAsync(EventEnvelope<RawObservation> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        var result = (await intake.IngestAsync([envelope.Data], null, cancellationToken))[0];
        if (result.Status != IntakeStatus.Rejected)
        {
            return;
        }

        var rejected = new ObservationRejected
        {
            ObservationId = envelope.Data.ObservationId,
            EntityId = envelope.Data.EntityId,
            SourceSystem = envelope.Data.SourceSystem,
            Errors = result.Errors,
            Original = JsonSerializer.Serialize(envelope.Data, EnvelopeSerializer.Options),
            RejectedAt = clock.GetUtcNow(),
        };
        await producer.ProduceAsync(options.Value.RejectedTopic, envelope.Data.EntityId ?? context.Key ?? envelope.Id, rejected, cancellationToken);
    }
}
