using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests.Api;

/// <summary><c>GET</c>/<c>PUT /api/monitoring/models/{model}/settings</c> on the shipped host: layering over the files, and refusals naming each field.</summary>
public sealed class ModelSettingsApiTests(MonitoringAppFactory factory) : IClassFixture<MonitoringAppFactory>
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task GetSettings_ShippedModel_ShowsTheShippedLabelAndServiceWideWindows()
    {
        using var http = factory.CreateClient();

        var view = await http.GetFromJsonAsync<JsonElement>("/api/monitoring/models/deterioration/settings", Json);

        Assert.Equal(JsonValueKind.Null, view.GetProperty("stored").ValueKind);
        var performance = view.GetProperty("performance");
        Assert.Equal(("deterioration_24h", "1.00:00:00", "01:00:00", 100), (performance.GetProperty("label").GetString(),
            performance.GetProperty("horizon").GetString(), performance.GetProperty("windowDuration").GetString(), performance.GetProperty("minLabeled").GetInt32()));
        Assert.True(view.GetProperty("retraining").GetProperty("onDegradation").GetBoolean());
        Assert.Equal([10, 50, 100], view.GetProperty("rollout").GetProperty("steps").EnumerateArray().Select(s => s.GetInt32()));
    }

    [Fact]
    public async Task PutSettings_OwnModel_StoredAndInForceWithTheRestFromTheFiles()
    {
        var model = PlatformInfrastructure.UniqueName("own");
        using var http = factory.CreateClient();

        var response = await http.PutAsJsonAsync($"/api/monitoring/models/{model}/settings", new
        {
            performance = new { label = "sepsis_6h", horizon = "06:00:00", windowDuration = "00:10:00" },
            retraining = new { onDegradation = true, rollout = new { steps = new[] { 25, 100 }, analysisInterval = "00:05:00", minRequests = 20 } },
            updatedBy = "ops-fay",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var view = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/settings", Json);
        Assert.Equal("ops-fay", view.GetProperty("stored").GetProperty("updatedBy").GetString());
        var performance = view.GetProperty("performance");
        Assert.Equal(("sepsis_6h", "06:00:00", "00:10:00", "01:00:00", 100), (performance.GetProperty("label").GetString(), performance.GetProperty("horizon").GetString(),
            performance.GetProperty("windowDuration").GetString(), performance.GetProperty("labelLateness").GetString(), performance.GetProperty("minLabeled").GetInt32()));
        Assert.Equal([25, 100], view.GetProperty("rollout").GetProperty("steps").EnumerateArray().Select(s => s.GetInt32()));
    }

    [Fact]
    public async Task PutSettings_BadValues_Returns400NamingEachField()
    {
        using var http = factory.CreateClient();

        var response = await http.PutAsJsonAsync("/api/monitoring/models/own-bad/settings", new
        {
            performance = new { horizon = "3.00:00:00", minLabeled = 1 },
            retraining = new { schedule = "every sunday", timeZone = "Mars/Olympus", rollout = new { steps = new[] { 50, 10 } } },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("errors");
        foreach (var field in new[] { "updatedBy", "performance", "retraining.schedule", "retraining.timeZone", "retraining.rollout" })
        {
            Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}: {errors}");
        }
    }

    [Fact]
    public async Task PutSettings_SloObjectives_InForceWithTheRestServiceWide_AndBadOnesRefusedByName()
    {
        var model = PlatformInfrastructure.UniqueName("slo");
        using var http = factory.CreateClient();

        var shipped = (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/settings", Json)).GetProperty("slo");
        var set = await http.PutAsJsonAsync($"/api/monitoring/models/{model}/settings", new { slo = new { latencyThresholdMs = 40, availabilityObjective = 0.995 }, updatedBy = "ops-fay" });
        var bad = await http.PutAsJsonAsync($"/api/monitoring/models/{model}/settings", new { slo = new { latencyThresholdMs = -1 }, updatedBy = "ops-fay" });

        // The shipped objectives: p99 (0.99) within 250 ms, 0.1 % errors.
        Assert.Equal((250.0, 0.99, 0.999), Objectives(shipped));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal((40.0, 0.99, 0.995), Objectives((await set.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("slo")));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("latencyThresholdMs", (await bad.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("errors").GetProperty("slo")[0].GetString(), StringComparison.Ordinal);
        // The refused change left the stored one in force.
        Assert.Equal((40.0, 0.99, 0.995), Objectives((await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/settings", Json)).GetProperty("slo")));
    }

    static (double, double, double) Objectives(JsonElement slo) =>
        (slo.GetProperty("latencyThresholdMs").GetDouble(), slo.GetProperty("latencyObjective").GetDouble(), slo.GetProperty("availabilityObjective").GetDouble());
}
