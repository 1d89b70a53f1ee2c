using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Monitoring.Slo;
using Mlops.Monitoring.Tests.Slo;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests.Webhooks;

/// <summary>
/// A real <c>SloBreached</c> — a real inference process's latency against an objective below what it takes, set over
/// the settings API — delivered signed to a verifying subscriber. A class of its own: the breach needs monitoring
/// scraping an inference pod, and the breach test's fixture cannot be shared (an open breach is not raised again).
/// </summary>
public sealed class SloWebhookDeliveryTests(MonitoringWithInference fixture) : IClassFixture<MonitoringWithInference>
{
    [Fact]
    public async Task SloBreached_VerifyingReceiver_GetsPageAndTicketSignedOverTimestampAndBody()
    {
        var factory = fixture.Factory;
        await using var receiver = await WebhookReceiver.StartAsync();
        var monitoring = factory.CreateClient();
        var webhook = await WebhookDeliveryTests.SubscribeAsync(monitoring, new Uri(receiver.BaseAddress, "verify"), "SloBreached");
        using var inference = new HttpClient { BaseAddress = fixture.Inference.BaseAddress };
        var random = new Random(9);

        // A p99 objective of 0.01 ms: every prediction takes longer (the histogram's first bound is 0.1 ms).
        await SloBreachTests.PutSloAsync(monitoring, new { latencyThresholdMs = 0.01 });
        await Eventually.WaitUntilAsync(async () =>
        {
            await SloBreachTests.PredictAsync(inference, random);
            return receiver.Verified.Count >= 2;
        }, "SloBreached for latency, page and ticket, delivered", TimeSpan.FromMinutes(3));

        Assert.Equal(0, receiver.Forged);
        var delivered = receiver.Verified.Select(body => JsonDocument.Parse(body).RootElement).ToList();
        Assert.All(delivered, d =>
        {
            Assert.Equal("SloBreached", d.GetProperty("type").GetString());
            var data = d.GetProperty("data");
            Assert.Equal((InferenceProcess.Model, InferenceProcess.Version, SloJudge.Latency, 0.99),
                (data.GetProperty("modelName").GetString(), data.GetProperty("modelVersion").GetString(), data.GetProperty("kind").GetString(), data.GetProperty("objective").GetDouble()));
            Assert.Equal(d.GetProperty("alertId").GetGuid(), data.GetProperty("alertId").GetGuid());
        });
        Assert.Equal([SloJudge.Page, SloJudge.Ticket], delivered.Select(d => d.GetProperty("data").GetProperty("severity").GetString()).Order(StringComparer.Ordinal));

        // The deliveries are those of the breaches in the alert history, each delivered at its first attempt.
        var history = await monitoring.GetFromJsonAsync<JsonElement>($"/api/monitoring/alerts?model={InferenceProcess.Model}&type=SloBreached");
        var breaches = history.EnumerateArray().Select(a => a.GetProperty("alertId").GetGuid()).Order().ToList();
        Assert.Equal(breaches, delivered.Select(d => d.GetProperty("alertId").GetGuid()).Order());
        JsonElement[] deliveries = [];
        await Eventually.WaitUntilAsync(async () =>
        {
            var list = await monitoring.GetFromJsonAsync<JsonElement>($"/api/monitoring/webhooks/{webhook.GetProperty("webhookId").GetGuid()}/deliveries");
            deliveries = [.. list.EnumerateArray()];
            return deliveries.Length >= 2 && deliveries.All(d => d.GetProperty("status").GetString() == "delivered");
        }, "both deliveries were recorded as delivered");
        Assert.Equal(breaches, deliveries.Select(d => d.GetProperty("alertId").GetGuid()).Order());
        Assert.All(deliveries, d => Assert.Equal([200], d.GetProperty("history").EnumerateArray().Select(a => a.GetProperty("statusCode").GetInt32())));
    }
}
