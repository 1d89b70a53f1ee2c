using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mlops.Gateway.Experiments;
using Mlops.Testing;

namespace Mlops.Gateway.Tests.Experiments;

/// <summary>
/// A/B outcomes counted by monitoring's delayed-label join: the shipped gateway on the real PostgreSQL, monitoring's
/// side-by-side view (<c>GET /api/monitoring/models/{model}/variants</c>) served by a stand-in on a scratch port that
/// answers cumulative counts as monitoring does (its own test checks how they are computed).
/// </summary>
public sealed class ExperimentOutcomesTests(GatewayFactory gateway) : IClassFixture<GatewayFactory>, IAsyncLifetime
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    MonitoringStandIn _monitoring = null!;
    Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> _fed = null!;

    public async Task InitializeAsync()
    {
        _monitoring = await MonitoringStandIn.StartAsync(ServiceProcess.FreePort());
        // Only the monitoring service's address differs from the shipped configuration: it is the stand-in's.
        _fed = gateway.WithSetting("Gateway:Experiments:MonitoringAddress", _monitoring.Address);
    }

    public async Task DisposeAsync()
    {
        await _fed.DisposeAsync();
        await _monitoring.DisposeAsync();
    }

    [Fact]
    public async Task Feed_CumulativeLabelledCounts_BecomeArmsCountsOnceAndALookEachTheyGrow()
    {
        var client = Client();
        var model = $"ab-{Guid.NewGuid():N}"[..20];
        var created = await CreateAsync(client, model, new { success = ExperimentSuccess.NegativeLabel });
        var feeder = _fed.Services.GetRequiredService<ExperimentOutcomeFeeder>();

        // Fewer deteriorations among the challenger's patients: more successes (no adverse outcome) in the treatment arm.
        _monitoring.Answer(model, Variant("1", "champion", labeled: 1000, positives: 300), Variant("2", "challenger", labeled: 1000, positives: 200),
            Variant("2", "shadow", labeled: 500, positives: 100));
        await feeder.FeedAsync(CancellationToken.None);
        var first = await StatusAsync(client, created.Id);
        Assert.Equal((1000L, 700L), (first.Arms[0].N, first.Arms[0].Successes));
        Assert.Equal((1000L, 800L), (first.Arms[1].N, first.Arms[1].Successes));

        // Monitoring's counts are cumulative since the experiment started: the arms follow them, never add them up.
        _monitoring.Answer(model, Variant("1", "champion", labeled: 3000, positives: 900), Variant("2", "challenger", labeled: 3000, positives: 600));
        await feeder.FeedAsync(CancellationToken.None);
        await feeder.FeedAsync(CancellationToken.None);
        var second = await StatusAsync(client, created.Id);
        Assert.Equal((3000L, 2100L), (second.Arms[0].N, second.Arms[0].Successes));
        Assert.Equal((3000L, 2400L), (second.Arms[1].N, second.Arms[1].Successes));
        Assert.Equal(ExperimentAnalysis.StopTreatmentBetter, second.Decision);

        var asked = _monitoring.Queries(model);
        Assert.NotEmpty(asked);
        Assert.All(asked, q => Assert.Equal(created.CreatedAt, DateTimeOffset.Parse(q["from"]!, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(asked, q => Assert.Equal("counts", q["metrics"]));
    }

    [Fact]
    public async Task Feed_StoppedExperiment_IsNoLongerAskedOfMonitoringAndKeepsItsCounts()
    {
        var client = Client();
        var model = $"ab-{Guid.NewGuid():N}"[..20];
        var created = await CreateAsync(client, model, new { success = ExperimentSuccess.NegativeLabel });
        var feeder = _fed.Services.GetRequiredService<ExperimentOutcomeFeeder>();
        _monitoring.Answer(model, Variant("1", "champion", labeled: 100, positives: 30), Variant("2", "challenger", labeled: 100, positives: 20));
        await feeder.FeedAsync(CancellationToken.None);
        var asked = _monitoring.Queries(model).Count;

        using var stop = await client.PostAsJsonAsync($"/api/gateway/experiments/{created.Id}/stop", new { reason = "decision reached" });
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        _monitoring.Answer(model, Variant("1", "champion", labeled: 900, positives: 300), Variant("2", "challenger", labeled: 900, positives: 200));
        await feeder.FeedAsync(CancellationToken.None);

        Assert.Equal(asked, _monitoring.Queries(model).Count);
        var status = await StatusAsync(client, created.Id);
        Assert.Equal((100L, 100L), (status.Arms[0].N, status.Arms[1].N));
        Assert.Equal("decision reached", status.Stopped!.Reason);
    }

    [Fact]
    public async Task Feed_ExperimentWithPostedCounts_IsNotAskedOfMonitoring()
    {
        var client = Client();
        var posted = $"ab-{Guid.NewGuid():N}"[..20];
        var fed = $"ab-{Guid.NewGuid():N}"[..20];
        var response = await client.PostAsJsonAsync("/api/gateway/experiments", new
        {
            name = "posted-counts", modelName = posted,
            arms = new[] { new { name = "control", variant = "champion", weight = 1.0 }, new { name = "treatment", variant = "challenger", weight = 1.0 } },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await CreateAsync(client, fed, new { success = ExperimentSuccess.NegativeLabel });

        await _fed.Services.GetRequiredService<ExperimentOutcomeFeeder>().FeedAsync(CancellationToken.None);

        Assert.Empty(_monitoring.Queries(posted));
        Assert.NotEmpty(_monitoring.Queries(fed));
    }

    [Fact]
    public async Task Feed_CorrectAtThreshold_CountsMonitoringsCorrectAndAsksWithTheThreshold()
    {
        var client = Client();
        var model = $"ab-{Guid.NewGuid():N}"[..20];
        var created = await CreateAsync(client, model, new { success = ExperimentSuccess.Correct, threshold = 0.3 });
        _monitoring.Answer(model, Variant("1", "champion", labeled: 400, positives: 100, correct: 310), Variant("2", "challenger", labeled: 380, positives: 90, correct: 320));

        await _fed.Services.GetRequiredService<ExperimentOutcomeFeeder>().FeedAsync(CancellationToken.None);

        var status = await StatusAsync(client, created.Id);
        Assert.Equal((400L, 310L), (status.Arms[0].N, status.Arms[0].Successes));
        Assert.Equal((380L, 320L), (status.Arms[1].N, status.Arms[1].Successes));
        Assert.All(_monitoring.Queries(model), q => Assert.Equal("0.3", q["threshold"]));
    }

    [Fact]
    public async Task Feed_MonitoringUnreachable_LeavesTheCountsAsTheyWere()
    {
        var client = Client();
        var model = $"ab-{Guid.NewGuid():N}"[..20];
        var created = await CreateAsync(client, model, new { success = ExperimentSuccess.PositiveLabel });
        await using var unreachable = gateway.WithSetting("Gateway:Experiments:MonitoringAddress", $"http://127.0.0.1:{ServiceProcess.FreePort()}/");

        await unreachable.Services.GetRequiredService<ExperimentOutcomeFeeder>().FeedAsync(CancellationToken.None);

        var status = await StatusAsync(client, created.Id);
        Assert.All(status.Arms, a => Assert.Equal(0, a.N));
    }

    [Fact]
    public async Task Observations_PostedToAMonitoringFedExperiment_Are409()
    {
        var client = Client();
        var created = await CreateAsync(client, "deterioration", new { success = ExperimentSuccess.NegativeLabel });

        var response = await client.PostAsJsonAsync($"/api/gateway/experiments/{created.Id}/observations", new
        {
            arms = new[] { new { arm = "control", trials = 10, successes = 1 } },
        });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("monitoring", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"success\": \"clicks\" }", "outcome.success")]
    [InlineData("{ \"success\": \"correct\" }", "outcome.threshold")]
    [InlineData("{ \"success\": \"label-negative\", \"threshold\": 0.5 }", "outcome.threshold")]
    public async Task Create_BadOutcome_Is400NamingTheField(string outcome, string field)
    {
        var body = $$"""
            { "name": "ab", "modelName": "deterioration", "outcome": {{outcome}},
              "arms": [ { "name": "control", "variant": "champion" }, { "name": "treatment", "variant": "challenger" } ] }
            """;
        var response = await Client().PostAsync("/api/gateway/experiments", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _));
    }

    // The derived factory configures its clients as the gateway fixture does: with the bootstrap admin key.
    HttpClient Client() => _fed.CreateClient();

    static async Task<ExperimentStatus> CreateAsync(HttpClient client, string model, object outcome)
    {
        var response = await client.PostAsJsonAsync("/api/gateway/experiments", new
        {
            name = "alerts-at-0.3", modelName = model, outcome,
            arms = new[] { new { name = "control", variant = "champion", weight = 1.0 }, new { name = "treatment", variant = "challenger", weight = 1.0 } },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ExperimentStatus>(Json))!;
    }

    static async Task<ExperimentStatus> StatusAsync(HttpClient client, Guid id) =>
        (await client.GetFromJsonAsync<ExperimentStatus>($"/api/gateway/experiments/{id}", Json))!;

    static object Variant(string version, string variant, int labeled, int positives, int? correct = null) =>
        new { modelVersion = version, variant, predictions = labeled + 10, labeled, positives, correct, auroc = (double?)null, brier = (double?)null, drift = (object?)null };

    /// <summary>Monitoring's variants view on a scratch port: the answer per model is set by the test; every query is kept.</summary>
    sealed class MonitoringStandIn : IAsyncDisposable
    {
        readonly WebApplication _app;
        readonly Dictionary<string, object[]> _answers = new(StringComparer.Ordinal);
        readonly List<(string Model, IQueryCollection Query)> _queries = [];

        MonitoringStandIn(WebApplication app, string address)
        {
            _app = app;
            Address = address;
        }

        public string Address { get; }

        public static async Task<MonitoringStandIn> StartAsync(int port)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            var standIn = new MonitoringStandIn(app, $"http://127.0.0.1:{port}/");
            app.MapGet("/api/monitoring/models/{model}/variants", (string model, HttpRequest request) =>
            {
                lock (standIn._answers)
                {
                    standIn._queries.Add((model, request.Query));
                    return Results.Json(standIn._answers.GetValueOrDefault(model) ?? []);
                }
            });
            await app.StartAsync();
            return standIn;
        }

        public void Answer(string model, params object[] variants)
        {
            lock (_answers)
            {
                _answers[model] = variants;
            }
        }

        public List<IQueryCollection> Queries(string model)
        {
            lock (_answers)
            {
                return _queries.Where(q => q.Model == model).Select(q => q.Query).ToList();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
