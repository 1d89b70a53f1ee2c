using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Mlops.ServiceDefaults.Background;
using Mlops.ServiceDefaults.Resilience;

namespace Mlops.Monitoring.Webhooks;

/// <summary>
/// POSTs each alert owed to a subscriber, signed (<see cref="WebhookSignature"/>). A 2xx is delivered; a 5xx, 408, 429,
/// timeout or connection failure is retried with capped exponential backoff up to <see cref="WebhookOptions.MaxAttempts"/>;
/// any other answer (a 4xx: the receiver refuses it) fails the delivery at once. Every attempt is recorded.
/// </summary>
public sealed class WebhookSender(
    WebhookStore store, IHttpClientFactory http, IOptions<WebhookOptions> options, TimeProvider clock, ILogger<WebhookSender> logger) : PeriodicRound(logger, TimeProvider.System)
{
    public const string HttpClientName = "webhooks";

    WebhookOptions Options => options.Value;

    protected override TimeSpan Interval => Options.PollInterval;

    protected override string Work => "Webhook delivery";

    /// <summary>One round: owe new alerts to subscribers, then send what is due.</summary>
    public override async Task RunOnceAsync(CancellationToken ct)
    {
        await using var connection = await store.OpenAsync(ct);
        await store.EnqueueAsync(connection, ct);
        // The lease outlasts one request, so a delivery is never sent twice at once.
        var due = await store.ClaimDueAsync(connection, 20, Options.Timeout * 2, ct);
        await Task.WhenAll(due.Select(async delivery =>
        {
            var (attempt, retriable) = await SendAsync(delivery, ct);
            var (status, retryAt) = attempt.StatusCode is >= 200 and < 300 ? ("delivered", (DateTimeOffset?)null)
                : retriable && attempt.Number < Options.MaxAttempts ? ("pending", clock.GetUtcNow() + Options.DelayAfter(attempt.Number))
                : ("failed", null);
            // Each delivery on its own connection: the round's connection is not shared between concurrent commands.
            await using var own = await store.OpenAsync(ct);
            await store.RecordAttemptAsync(own, delivery, attempt, status, retryAt, ct);
            MonitoringTelemetry.WebhookAttempts.Add(1, new("status", status), new("event_type", delivery.EventType));
            if (status == "failed")
            {
                logger.LogWarning(
                    "Webhook delivery {Delivery} of {Alert} to {Url} failed after {Attempts} attempt(s): {Status} {Error}",
                    delivery.DeliveryId, delivery.AlertId, delivery.Url, attempt.Number, attempt.StatusCode, attempt.Error);
            }
        }));
    }

    async Task<(WebhookStore.Attempt Attempt, bool Retriable)> SendAsync(WebhookStore.DueDelivery delivery, CancellationToken ct)
    {
        using var activity = MonitoringTelemetry.Source.StartActivity("monitoring.webhook.send", ActivityKind.Client);
        activity?.SetTag("mlops.alert.type", delivery.EventType);
        activity?.SetTag("mlops.webhook.attempt", delivery.Attempts + 1);
        var body = $$"""{"type":"{{delivery.EventType}}","alertId":"{{delivery.AlertId}}","data":{{delivery.Payload}}}""";
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(delivery.Secret, timestamp, body));
        request.Headers.Add(WebhookSignature.EventHeader, delivery.EventType);
        request.Headers.Add(WebhookSignature.DeliveryHeader, delivery.DeliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var attemptedAt = clock.GetUtcNow();
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Options.Timeout);
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            var code = (int)response.StatusCode;
            activity?.SetTag("http.response.status_code", code);
            return (new(delivery.Attempts + 1, attemptedAt, code, null, Elapsed(started)),
                code >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (new(delivery.Attempts + 1, attemptedAt, null, $"timed out after {Options.Timeout.TotalSeconds:0.#} s", Elapsed(started)), true);
        }
        catch (HttpRequestException e)
        {
            return (new(delivery.Attempts + 1, attemptedAt, null, e.Message, Elapsed(started)), true);
        }
    }

    static double Elapsed(long started) => Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
