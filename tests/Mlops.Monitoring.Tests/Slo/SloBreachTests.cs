using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Slo;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Monitoring.Tests.Slo;

/// <summary>
/// SLOs judged from a real inference process's <c>/metrics</c> under real HTTP traffic, against the model's own
/// objectives set over the settings API: a latency objective below what the model takes raises <c>SloBreached</c> once
/// (page and ticket) with its evidence; raising the objective clears both breaches and raises no new one.
/// </summary>
public sealed class SloBreachTests(MonitoringWithInference fixture) : IClassFixture<MonitoringWithInference>
{
    static readonly TimeSpan Rounds = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task LatencyObjectiveBelowObserved_BreachedOnceWithEvidence_ThenRaisedObjectiveClearsIt()
    {
        var factory = fixture.Factory;
        var breaches = new ConcurrentQueue<SloBreached>();
        var cleared = new ConcurrentQueue<SloCleared>();
        var listener = factory.Services.GetRequiredService<IBus>().ConnectReceiveEndpoint(PlatformInfrastructure.UniqueName("slo-listener"), e =>
        {
            e.Handler<SloBreached>(context =>
            {
                breaches.Enqueue(context.Message);
                return Task.CompletedTask;
            });
            e.Handler<SloCleared>(context =>
            {
                cleared.Enqueue(context.Message);
                return Task.CompletedTask;
            });
        });
        await listener.Ready;
        var monitoring = factory.CreateClient();
        using var inference = new HttpClient { BaseAddress = fixture.Inference.BaseAddress };
        var random = new Random(5);

        // A p99 objective of 0.01 ms: every prediction takes longer (the histogram's first bound is 0.1 ms).
        var tight = await PutSloAsync(monitoring, new { latencyThresholdMs = 0.01 });
        Assert.Equal((0.01, 0.99, 0.999), (tight.GetProperty("latencyThresholdMs").GetDouble(), tight.GetProperty("latencyObjective").GetDouble(),
            tight.GetProperty("availabilityObjective").GetDouble()));

        await Eventually.WaitUntilAsync(async () =>
        {
            await PredictAsync(inference, random);
            return breaches.Count(b => b.Kind == SloJudge.Latency) >= 2;
        }, "SloBreached for latency, page and ticket", Rounds);

        var latency = breaches.Where(b => b.Kind == SloJudge.Latency).OrderBy(b => b.Severity, StringComparer.Ordinal).ToList();
        Assert.Equal([SloJudge.Page, SloJudge.Ticket], latency.Select(b => b.Severity));
        foreach (var breach in latency)
        {
            Assert.Equal((InferenceProcess.Model, InferenceProcess.Version, 0.99, (double?)0.1), (breach.ModelName, breach.ModelVersion, breach.Objective, breach.LatencyThresholdMs));
            // The evidence: requests counted over both windows, their slow share over the 1 % budget, above the rule's rate.
            Assert.True(breach.LongTotal > 0 && breach.ShortTotal > 0 && breach.LongBad > 0, $"requests were counted: {breach}");
            Assert.Equal((double)breach.LongBad / breach.LongTotal / 0.01, breach.LongBurnRate, 6);
            Assert.Equal((double)breach.ShortBad / breach.ShortTotal / 0.01, breach.ShortBurnRate, 6);
            Assert.True(breach.LongBurnRate > breach.BurnRateThreshold && breach.ShortBurnRate > breach.BurnRateThreshold, $"both windows burn: {breach}");
        }

        Assert.DoesNotContain(breaches, b => b.Kind == SloJudge.Availability);

        // Still burning two rounds later: the breaches stay open, nothing new is raised.
        var scrapes = await ScrapesAsync(factory);
        await Eventually.WaitUntilAsync(async () =>
        {
            await PredictAsync(inference, random);
            return await ScrapesAsync(factory) >= scrapes + 2;
        }, "two more SLO rounds", Rounds);
        Assert.Equal(2, breaches.Count);

        // A p99 objective of 10 s: the same windows now meet it, and both breaches clear.
        await PutSloAsync(monitoring, new { latencyThresholdMs = 10_000 });
        await Eventually.WaitUntilAsync(async () =>
        {
            await PredictAsync(inference, random);
            return cleared.Count >= 2;
        }, "SloCleared for both breaches", Rounds);

        Assert.Equal(latency.Select(b => b.AlertId).Order(), cleared.Select(c => c.BreachAlertId).Order());
        Assert.All(cleared, c =>
        {
            Assert.Equal((InferenceProcess.Model, InferenceProcess.Version, SloJudge.Latency, (double?)10_000), (c.ModelName, c.ModelVersion, c.Kind, c.LatencyThresholdMs));
            Assert.True(c.LongBurnRate is { } burn && burn < c.BurnRateThreshold, $"the long window meets the objective now: {c}");
        });

        // Traffic goes on for two more rounds under the new objective: no new breach.
        scrapes = await ScrapesAsync(factory);
        await Eventually.WaitUntilAsync(async () =>
        {
            await PredictAsync(inference, random);
            return await ScrapesAsync(factory) >= scrapes + 2;
        }, "two more SLO rounds", Rounds);
        Assert.Equal(2, breaches.Count);
        Assert.Equal(2, cleared.Count);
        var statuses = await monitoring.GetFromJsonAsync<JsonElement>($"/api/monitoring/slo/{InferenceProcess.Model}");
        Assert.All(statuses.EnumerateArray(), s => Assert.All(s.GetProperty("rules").EnumerateArray(), r => Assert.False(r.GetProperty("firing").GetBoolean())));
    }

    internal static async Task<JsonElement> PutSloAsync(HttpClient monitoring, object slo)
    {
        using var response = await monitoring.PutAsJsonAsync($"/api/monitoring/models/{InferenceProcess.Model}/settings", new { slo, updatedBy = "slo-test" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("slo").Clone();
    }

    internal static async Task PredictAsync(HttpClient inference, Random random)
    {
        for (var i = 0; i < 5; i++)
        {
            using var response = await inference.PostAsJsonAsync("api/inference/predict", new { entityId = $"slo-patient-{i}", features = InferenceProcess.Vitals(random) });
            response.EnsureSuccessStatusCode();
        }
    }

    static async Task<long> ScrapesAsync(MonitoringAppFactory factory)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(DISTINCT scraped_at) FROM slo_readings", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
