using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Registry;
using Mlops.Kafka.Producing;
using Mlops.Monitoring.Tests.Performance;
using Mlops.Monitoring.Tests.Windows;
using Mlops.Monitoring.Webhooks;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests.Webhooks;

/// <summary>
/// A real <c>PerformanceDegraded</c> (an hour of unranked predictions and their outcomes on Kafka) delivered to three
/// subscribers with the shipped settings: one verifying the HMAC signature, one failing twice before accepting, one
/// refusing; a real <c>DriftDetected</c> (an hour of shifted vitals on Kafka) delivered signed to a verifying subscriber.
/// </summary>
public sealed class WebhookDeliveryTests(MonitoringAppFactory factory) : IClassFixture<MonitoringAppFactory>
{
    [Fact]
    public async Task PerformanceDegraded_ThreeReceivers_SignedDeliveredRetriedOnFiveHundredsNotOnFourHundreds()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var http = factory.CreateClient();
        async Task<JsonElement> Subscribe(string path, string secret)
        {
            var response = await http.PostAsJsonAsync("/api/monitoring/webhooks", new
            {
                url = new Uri(receiver.BaseAddress, path).ToString(),
                secret,
                eventTypes = new[] { "PerformanceDegraded" },
            });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.False(body.TryGetProperty("secret", out _), "the secret is never returned");
            return body;
        }

        var verify = await Subscribe("verify", WebhookReceiver.Secret);
        var flaky = await Subscribe("flaky", "flaky-secret-0123456789");
        var refuse = await Subscribe("refuse", "refuse-secret-0123456789");
        var listed = await http.GetFromJsonAsync<JsonElement>("/api/monitoring/webhooks");
        // Other tests of the class subscribe on the same service, so only this test's three are looked for.
        Assert.Equal(3, listed.EnumerateArray().Count(w => new[] { verify, flaky, refuse }.Any(s => s.GetProperty("webhookId").GetGuid() == w.GetProperty("webhookId").GetGuid())));
        Assert.DoesNotContain("secret", listed.GetRawText(), StringComparison.OrdinalIgnoreCase);

        // An hour of predictions 30 h ago that rank nothing (AUROC ≈ 0.5) against an evaluation AUROC of 0.9.
        const string version = "4.0.0";
        await factory.Services.GetRequiredService<IBus>().Publish(PerformanceMonitoringTests.Registration(version, auroc: 0.9));
        var now = DateTimeOffset.UtcNow;
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-30);
        var rows = PerformanceMonitoringTests.Hour(new Random(41), hour, 300, signal: 0).ToList();
        var producer = factory.Upstream.Services.GetRequiredService<IEventProducer>();
        await Task.WhenAll(rows.Select(r => producer.ProduceAsync(factory.PredictionsTopic, r.Entity, new PredictionMade
        {
            EntityId = r.Entity, ModelName = "deterioration", ModelVersion = version, Probability = r.Probability, Uncertainty = 0, Fallback = false,
            FeatureEventTime = r.PredictedAt, FeatureSetVersion = "vitals-test", PredictedAt = r.PredictedAt, PredictionId = r.PredictionId,
            Variant = ModelAliases.Champion,
        })));
        await Task.WhenAll(rows.Select(r => producer.ProduceAsync(factory.LabelsTopic, r.Entity, new LabelRecorded
        {
            LabelId = $"wh-{r.PredictionId}", EntityId = r.Entity, Name = "deterioration_24h", Value = r.Outcome,
            EventTime = r.PredictedAt.AddHours(12), PredictionId = r.PredictionId,
        })));

        await Eventually.WaitUntilAsync(() => !receiver.Verified.IsEmpty && receiver.FlakyCalls >= 3 && receiver.Refused >= 1,
            "every receiver was called", TimeSpan.FromMinutes(3));

        // The verifying receiver got the alert once, signed over timestamp and body.
        var delivered = JsonDocument.Parse(Assert.Single(receiver.Verified)).RootElement;
        Assert.Equal("PerformanceDegraded", delivered.GetProperty("type").GetString());
        Assert.Equal(version, delivered.GetProperty("data").GetProperty("modelVersion").GetString());
        Assert.Equal(0.9, delivered.GetProperty("data").GetProperty("baselineAuroc").GetDouble());
        Assert.Equal(0, receiver.Forged);

        async Task<JsonElement> OnlyDelivery(JsonElement webhook, string status)
        {
            JsonElement delivery = default;
            await Eventually.WaitUntilAsync(async () =>
            {
                var list = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/webhooks/{webhook.GetProperty("webhookId").GetGuid()}/deliveries");
                delivery = list.EnumerateArray().SingleOrDefault();
                return delivery.ValueKind == JsonValueKind.Object && delivery.GetProperty("status").GetString() == status;
            }, $"a {status} delivery was recorded");
            Assert.Equal(delivered.GetProperty("alertId").GetGuid(), delivery.GetProperty("alertId").GetGuid());
            return delivery;
        }

        int?[] Codes(JsonElement delivery) => delivery.GetProperty("history").EnumerateArray()
            .Select(a => a.GetProperty("statusCode").ValueKind == JsonValueKind.Number ? a.GetProperty("statusCode").GetInt32() : (int?)null).ToArray();

        Assert.Equal([200], Codes(await OnlyDelivery(verify, "delivered")));
        var retried = await OnlyDelivery(flaky, "delivered");
        Assert.Equal([503, 503, 200], Codes(retried));
        var attempts = retried.GetProperty("history").EnumerateArray().Select(a => a.GetProperty("attemptedAt").GetDateTimeOffset()).ToList();
        // Backoff: 2 s after the first failure, 4 s after the second (shipped BaseDelay 2 s, doubled).
        Assert.True(attempts[1] - attempts[0] >= TimeSpan.FromSeconds(2), $"first retry after {attempts[1] - attempts[0]}");
        Assert.True(attempts[2] - attempts[1] >= TimeSpan.FromSeconds(4), $"second retry after {attempts[2] - attempts[1]}");
        Assert.All(retried.GetProperty("history").EnumerateArray(), a => Assert.True(a.GetProperty("latencyMs").GetDouble() > 0));
        Assert.Equal([400], Codes(await OnlyDelivery(refuse, "failed")));
        Assert.Equal(1, receiver.Refused);

        // Unsubscribing stops deliveries and hides the subscription.
        var id = refuse.GetProperty("webhookId").GetGuid();
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/monitoring/webhooks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/api/monitoring/webhooks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"/api/monitoring/webhooks/{id}")).StatusCode);
    }

    [Fact]
    public async Task DriftDetected_VerifyingReceiver_GetsTheAlertOnceSignedOverTimestampAndBody()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var http = factory.CreateClient();
        var webhook = await SubscribeAsync(http, new Uri(receiver.BaseAddress, "verify"), "DriftDetected");

        // A version registered with its training profile, then a past hour of its predictions with every vital shifted:
        // the hour is judged as a time window with dataset drift. A model of its own, so no other test's alert is owed here.
        var model = PlatformInfrastructure.UniqueName("webhook-drift");
        const string version = "5.0.0";
        var random = new Random(43);
        var runId = Guid.NewGuid();
        factory.Training.Put(runId, DriftMonitoringTests.Profile(random, runId));
        await factory.Services.GetRequiredService<IBus>().Publish(DriftMonitoringTests.Registration(runId, model, version));
        await Eventually.WaitUntilAsync(
            async () => (await http.GetAsync($"/api/monitoring/models/{model}/versions/{version}/profile")).StatusCode == HttpStatusCode.OK,
            "the reference profile was stored");
        var now = DateTimeOffset.UtcNow;
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-5);
        await DriftMonitoringTests.ProduceAsync(factory, random, model, version, 400, hour.AddMinutes(20), heartRateShift: 15, otherShift: 1.5);

        await Eventually.WaitUntilAsync(() => !receiver.Verified.IsEmpty, "the drift alert was delivered", TimeSpan.FromMinutes(3));
        var delivered = JsonDocument.Parse(Assert.Single(receiver.Verified)).RootElement;
        Assert.Equal(0, receiver.Forged);
        Assert.Equal("DriftDetected", delivered.GetProperty("type").GetString());
        var data = delivered.GetProperty("data");
        Assert.Equal((model, version, ModelAliases.Champion, "time"),
            (data.GetProperty("modelName").GetString(), data.GetProperty("modelVersion").GetString(), data.GetProperty("variant").GetString(), data.GetProperty("windowKind").GetString()));
        Assert.True(data.GetProperty("datasetDrift").GetBoolean());
        Assert.Contains("heart_rate", data.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("feature").GetString()));
        // The alert delivered is the one in the drift alert history, and the delivery is recorded with its one attempt.
        var history = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/alerts/drift?model={model}");
        var alertId = Assert.Single(history.EnumerateArray()).GetProperty("alert").GetProperty("alertId").GetGuid();
        Assert.Equal(alertId, delivered.GetProperty("alertId").GetGuid());
        Assert.Equal(alertId, data.GetProperty("alertId").GetGuid());
        var delivery = await DeliveredAsync(http, webhook);
        Assert.Equal(alertId, delivery.GetProperty("alertId").GetGuid());
    }

    /// <summary>Subscribes <paramref name="url"/> to one alert type with the verifying receiver's secret.</summary>
    internal static async Task<JsonElement> SubscribeAsync(HttpClient http, Uri url, string eventType)
    {
        var response = await http.PostAsJsonAsync("/api/monitoring/webhooks", new { url = url.ToString(), secret = WebhookReceiver.Secret, eventTypes = new[] { eventType } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>The webhook's only delivery once it is recorded as delivered at the first attempt (200).</summary>
    internal static async Task<JsonElement> DeliveredAsync(HttpClient http, JsonElement webhook)
    {
        JsonElement delivery = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            var list = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/webhooks/{webhook.GetProperty("webhookId").GetGuid()}/deliveries");
            delivery = list.EnumerateArray().SingleOrDefault();
            return delivery.ValueKind == JsonValueKind.Object && delivery.GetProperty("status").GetString() == "delivered";
        }, "the delivery was recorded as delivered");
        Assert.Equal([200], delivery.GetProperty("history").EnumerateArray().Select(a => a.GetProperty("statusCode").GetInt32()));
        return delivery;
    }

    [Fact]
    public async Task Subscribe_BadUrlShortSecretUnknownType_ValidationProblemNamingFields()
    {
        var response = await factory.CreateClient().PostAsJsonAsync("/api/monitoring/webhooks", new
        {
            url = "file:///etc/passwd",
            secret = "short",
            eventTypes = new[] { "Everything" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("url", out _));
        Assert.True(errors.TryGetProperty("secret", out _));
        Assert.True(errors.TryGetProperty("eventTypes", out _));
    }

    [Fact]
    public void Signature_KnownVector_HexHmacOverTimestampDotBody()
    {
        // HMAC-SHA256("key", "1700000000.{}") computed independently with Python's hmac module.
        Assert.Equal("sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae", WebhookSignature.Sign("key", 1700000000, "{}"));
        Assert.True(WebhookSignature.Verify("key", 1700000000, "{}", WebhookSignature.Sign("key", 1700000000, "{}")));
        Assert.False(WebhookSignature.Verify("key", 1700000001, "{}", WebhookSignature.Sign("key", 1700000000, "{}")));
        Assert.Equal(TimeSpan.FromMinutes(10), new WebhookOptions().DelayAfter(20));
        Assert.Equal(TimeSpan.FromSeconds(8), new WebhookOptions().DelayAfter(3));
    }
}
