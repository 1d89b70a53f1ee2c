using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests.Windows;

/// <summary>
/// Drift windows sized per model on the real brokers and database: a model with its own small count window or short
/// time window is judged at its size while a model beside it at the service-wide size is not, and the settings view
/// says which size each model waits for.
/// </summary>
public sealed class PerModelDriftWindowTests(MonitoringWithModelWindows monitoring) : IClassFixture<MonitoringWithModelWindows>
{
    const string WideModel = "drift-wide";
    const string Version = "1.0.0";
    MonitoringAppFactory Factory => monitoring.Factory;

    [Fact]
    public async Task CountWindows_ModelWithSmallOverrideBesideOneAtTheServiceWideSize_OnlyTheOverriddenModelClosesWindowsOfItsSize()
    {
        const string small = MonitoringWithModelWindows.SmallCountModel;
        const int size = MonitoringWithModelWindows.SmallWindowSize;
        var http = Factory.CreateClient();
        var since = DateTimeOffset.UtcNow;
        foreach (var (model, seed) in new[] { (small, 41), (WideModel, 43) })
        {
            var runId = Guid.NewGuid();
            Factory.Training.Put(runId, DriftMonitoringTests.Profile(new Random(seed), runId));
            await Factory.Services.GetRequiredService<IBus>().Publish(DriftMonitoringTests.Registration(runId, model, Version));
            await Eventually.WaitUntilAsync(
                async () => (await http.GetAsync($"/api/monitoring/models/{model}/versions/{Version}/profile")).StatusCode == HttpStatusCode.OK,
                $"the reference profile of {model} was stored");
        }

        // The service-wide model's 150 predictions are stored before the other's arrive, so every round that closes the
        // small model's windows has seen them too.
        await DriftMonitoringTests.ProduceAsync(Factory, new Random(47), WideModel, Version, 150, DateTimeOffset.UtcNow, heartRateShift: 0, otherShift: 0);
        await Eventually.WaitUntilAsync(async () => (await OpenAsync(http, WideModel)).Sum(o => o.GetProperty("predictions").GetInt32()) == 150,
            "the service-wide model's predictions were stored");
        await DriftMonitoringTests.ProduceAsync(Factory, new Random(53), small, Version, 150, DateTimeOffset.UtcNow, heartRateShift: 0, otherShift: 0);

        var windows = new List<JsonElement>();
        await Eventually.WaitUntilAsync(async () =>
        {
            windows = (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{small}/drift?kind=count")).EnumerateArray().ToList();
            return windows.Count >= 2;
        }, $"two count windows of {size} predictions were judged");

        Assert.Equal(2, windows.Count);
        Assert.All(windows, w =>
        {
            Assert.Equal(size, w.GetProperty("samples").GetInt32());
            // Judged against the profile: the five input features (MinWindowSamples 30 ≤ 60).
            Assert.Equal(5, w.GetProperty("evaluatedFeatures").GetInt32());
        });
        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{WideModel}/drift?kind=count")).GetArrayLength());

        // The settings view: which size each model waits for and how many predictions its next window still needs.
        var own = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{small}/drift/settings");
        Assert.Equal(size, own.GetProperty("configured").GetProperty("windowSize").GetInt32());
        Assert.Equal(size, own.GetProperty("effective").GetProperty("windowSize").GetInt32());
        var smallOpen = Assert.Single(own.GetProperty("open").EnumerateArray());
        Assert.Equal((150 - 2 * size, 3 * size - 150), (smallOpen.GetProperty("predictions").GetInt32(), smallOpen.GetProperty("stillNeeded").GetInt32()));
        var wide = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{WideModel}/drift/settings");
        Assert.Equal(JsonValueKind.Null, wide.GetProperty("configured").ValueKind);
        Assert.Equal(2000, wide.GetProperty("effective").GetProperty("windowSize").GetInt32());
        var wideOpen = Assert.Single(wide.GetProperty("open").EnumerateArray());
        Assert.Equal((150, 1850), (wideOpen.GetProperty("predictions").GetInt32(), wideOpen.GetProperty("stillNeeded").GetInt32()));

        // The same sizes in the view a rollout's analysis reads and in the model's settings.
        foreach (var (model, expected) in new[] { (small, size), (WideModel, 2000) })
        {
            var variants = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/variants?from={Uri.EscapeDataString(since.ToString("O"))}");
            Assert.Equal(expected, Assert.Single(variants.EnumerateArray()).GetProperty("driftWindows").GetProperty("windowSize").GetInt32());
            var settings = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/settings");
            Assert.Equal(expected, settings.GetProperty("driftWindows").GetProperty("windowSize").GetInt32());
        }
    }

    [Fact]
    public async Task TimeWindows_ModelWithQuarterHourOverrideBesideOneAtTheServiceWideHour_EachCutAtItsOwnDuration()
    {
        const string quarter = MonitoringWithModelWindows.QuarterHourModel;
        const string hourly = "drift-hourly";
        var http = Factory.CreateClient();
        var now = DateTimeOffset.UtcNow;
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-5);

        // A past hour from a backlog, the same for both models: 100 predictions 5 minutes in, 100 35 minutes in. Neither
        // model has a profile, and the hour ended long enough ago, so their windows are recorded at once, without a verdict.
        foreach (var (model, seed) in new[] { (quarter, 59), (hourly, 61) })
        {
            var random = new Random(seed);
            await DriftMonitoringTests.ProduceAsync(Factory, random, model, Version, 100, hour.AddMinutes(5), heartRateShift: 0, otherShift: 0);
            await DriftMonitoringTests.ProduceAsync(Factory, random, model, Version, 100, hour.AddMinutes(35), heartRateShift: 0, otherShift: 0);
        }

        List<JsonElement> quarters = [], hours = [];
        await Eventually.WaitUntilAsync(async () =>
        {
            quarters = (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{quarter}/drift?kind=time")).EnumerateArray().ToList();
            hours = (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{hourly}/drift?kind=time")).EnumerateArray().ToList();
            return quarters.Count >= 2 && hours.Count >= 1;
        }, "the quarter-hour model's two windows and the hourly model's one were recorded");

        Assert.Equal(
            [(hour.AddMinutes(30), hour.AddMinutes(45), 100), (hour, hour.AddMinutes(15), 100)],
            quarters.Select(Shape));
        Assert.Equal([(hour, hour.AddHours(1), 200)], hours.Select(Shape));
        var settings = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{quarter}/drift/settings");
        Assert.Equal("00:15:00", settings.GetProperty("effective").GetProperty("windowDuration").GetString());
        Assert.Equal(2000, settings.GetProperty("effective").GetProperty("windowSize").GetInt32());

        static (DateTimeOffset, DateTimeOffset, int) Shape(JsonElement w) =>
            (w.GetProperty("windowStart").GetDateTimeOffset(), w.GetProperty("windowEnd").GetDateTimeOffset(), w.GetProperty("samples").GetInt32());
    }

    static async Task<List<JsonElement>> OpenAsync(HttpClient http, string model) =>
        (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/drift/settings")).GetProperty("open").EnumerateArray().ToList();
}
