using MassTransit;
using Mlops.Contracts.Monitoring;

namespace Mlops.Monitoring.Retraining;

/// <summary>
/// The debounce in front of the saga: claims the model for the request (one retraining per model, none during the
/// cooldown) and starts the saga when it got it; a debounced request stays recorded with why.
/// </summary>
public sealed class RequestRetrainingConsumer(RetrainingStore store, ILogger<RequestRetrainingConsumer> logger) : IConsumer<RequestRetraining>
{
    public async Task Consume(ConsumeContext<RequestRetraining> context)
    {
        var request = context.Message;
        using var activity = MonitoringTelemetry.Source.StartActivity("retraining request");
        activity?.SetTag("mlops.model", request.ModelName);
        activity?.SetTag("mlops.retraining.trigger", request.Trigger);
        var record = await store.ClaimAsync(request, context.CancellationToken);
        MonitoringTelemetry.RetrainingRequests.Add(1, new KeyValuePair<string, object?>("trigger", request.Trigger), new KeyValuePair<string, object?>("status", record.Status));
        activity?.SetTag("mlops.retraining.status", record.Status);
        if (record.Status == RetrainingStore.Accepted)
        {
            // Published after this consumer completes (the in-memory outbox); a redelivery claims again as the same request.
            await context.Publish(new RetrainingAccepted { RetrainingId = request.RequestId, Request = request });
        }
        else
        {
            logger.LogInformation("Retraining request {RequestId} of {Model} ({Trigger}) debounced: {Why}", request.RequestId, request.ModelName, request.Trigger, record.DebounceReason);
        }
    }
}
