using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Mlops.Contracts.Registry;
using Mlops.Gateway.Routing;
using Mlops.Gateway.Shadow;
using Mlops.Testing;
using static Mlops.Gateway.Tests.Routes;

namespace Mlops.Gateway.Tests.Shadow;

/// <summary>
/// Requests of mirrored entities are copied to the shadow variant; its answers are compared with the primary's and
/// never returned, and a shadow that is down, slow or backed up never touches the primary.
/// </summary>
public sealed class ShadowMirroringTests : IAsyncLifetime
{
    readonly string _model = PlatformInfrastructure.UniqueName("shadowed");
    RabbitMqVirtualHost _vhost = null!;
    InferenceStandIn _inference = null!;
    RegistryStandIn _registry = null!;
    GatewayAppFactory? _gateway;
    Uri _registryAddress = null!;

    public async Task InitializeAsync()
    {
        _vhost = await RabbitMqVirtualHost.CreateAsync("gateway-shadow");
        _inference = await InferenceStandIn.StartAsync();
        _inference.Probabilities[ModelAliases.Champion] = 0.7;
        _inference.Probabilities[ModelAliases.Challenger] = 0.45;
        _inference.Probabilities[ModelAliases.Shadow] = 0.4;
        var port = InferenceStandIn.FreePort();
        _registryAddress = new Uri($"http://127.0.0.1:{port}/");
        _registry = await RegistryStandIn.StartAsync(port,
            new RegistryDeployment(_model, 2, [.. Canary(20), Route(ModelAliases.Shadow, "3", 0, mirror: 100)]));
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        await _inference.DisposeAsync();
        await _registry.DisposeAsync();
        await _vhost.DisposeAsync();
    }

    [Fact]
    public async Task Mirror_FullShare_ShadowGetsEachRequest_AndTheReportComparesEveryVersionPair()
    {
        var client = await StartAsync();
        var entities = Enumerable.Range(0, 50).Select(i => $"{_model}-{i}").ToList();
        foreach (var entity in entities)
        {
            var answer = await PredictAsync(client, entity);
            Assert.NotEqual(ModelAliases.Shadow, answer.GetProperty("variant").GetString());
        }

        await Eventually.WaitUntilAsync(async () => (await ReportAsync(client)).GetProperty("pairs").EnumerateArray().Sum(p => p.GetProperty("requests").GetInt64()) == 50, "every mirror was compared");
        foreach (var entity in entities)
        {
            var mirror = Assert.Single(_inference.Of(ModelAliases.Shadow), r => r.Body.Contains(entity + "\"", StringComparison.Ordinal));
            Assert.Equal($$"""{"entityId":"{{entity}}"}""", mirror.Body);
        }

        var report = await ReportAsync(client);
        Assert.Equal(50, report.GetProperty("queued").GetInt64());
        Assert.Equal(0, report.GetProperty("dropped").GetInt64());
        Assert.Equal(0, report.GetProperty("failed").GetInt64());
        Assert.Equal("3", report.GetProperty("shadow").GetProperty("version").GetString());
        var pairs = report.GetProperty("pairs").EnumerateArray().ToDictionary(p => p.GetProperty("primaryVariant").GetString()!);
        var champion = pairs[ModelAliases.Champion];
        Assert.Equal("1", champion.GetProperty("primaryVersion").GetString());
        Assert.Equal("3", champion.GetProperty("shadowVersion").GetString());
        Assert.Equal(0, champion.GetProperty("agreement").GetDouble());
        Assert.Equal(0.3, champion.GetProperty("meanAbsoluteDifference").GetDouble(), 6);
        Assert.Equal(0.3, champion.GetProperty("p99AbsoluteDifference").GetDouble(), 4);
        var challenger = pairs[ModelAliases.Challenger];
        Assert.Equal("2", challenger.GetProperty("primaryVersion").GetString());
        Assert.Equal(1, challenger.GetProperty("agreement").GetDouble());
        Assert.Equal(0.05, challenger.GetProperty("meanAbsoluteDifference").GetDouble(), 6);
        Assert.Equal(entities.Count(e => VariantAssignment.Assign(_model, e, Canary(20))!.Alias == ModelAliases.Challenger), challenger.GetProperty("requests").GetInt64());
        Assert.True(champion.GetProperty("shadowLatencyMs").GetProperty("p99").GetDouble() > 0);
    }

    [Fact]
    public async Task Mirror_ShadowDown_PrimaryAnswersUnchanged_AndFailuresAreCounted()
    {
        var client = await StartAsync(new()
        {
            ["ReverseProxy:Clusters:inference-shadow:Destinations:primary:Address"] = $"http://127.0.0.1:{InferenceStandIn.FreePort()}/",
            ["Gateway:Variants:Clusters:shadow"] = "inference-shadow",
        });
        for (var i = 0; i < 20; i++)
        {
            var answer = await PredictAsync(client, $"{_model}-{i}");
            Assert.Contains(answer.GetProperty("probability").GetDouble(), new[] { 0.7, 0.45 });
        }

        await Eventually.WaitUntilAsync(async () => (await ReportAsync(client)).GetProperty("failed").GetInt64() == 20, "every mirror to the dead shadow failed");
        Assert.Empty((await ReportAsync(client)).GetProperty("pairs").EnumerateArray());
    }

    [Fact]
    public async Task Mirror_ShadowHangs_PrimariesAllAnswerBeforeAnyShadowDoes()
    {
        _inference.Hold(ModelAliases.Shadow);
        var client = await StartAsync();
        for (var i = 0; i < 20; i++)
        {
            await PredictAsync(client, $"{_model}-{i}");
        }

        // Every primary has answered while the shadow has answered none: nothing was waiting on it.
        await Eventually.WaitUntilAsync(() => _inference.Of(ModelAliases.Shadow).Count >= 1, "the shadow got a mirror");
        Assert.Empty((await ReportAsync(client)).GetProperty("pairs").EnumerateArray());

        // Released, every mirror is settled: compared, or failed if a loaded machine held it past Gateway:Shadow:Timeout.
        _inference.Release(ModelAliases.Shadow);
        await Eventually.WaitUntilAsync(async () => Settled(await ReportAsync(client)) == 20, "the held mirrors were settled once released");
    }

    [Fact]
    public async Task Mirror_QueueFull_DroppedAndCounted_PrimaryUnaffected()
    {
        _inference.Hold(ModelAliases.Shadow);
        long droppedMetric = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ShadowTelemetry.Name && instrument.Name == "mlops.gateway.shadow.mirrors")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var (model, outcome) = (Tag(tags, "model.name"), Tag(tags, "outcome"));
            if (model == _model && outcome == "dropped")
            {
                Interlocked.Add(ref droppedMetric, value);
            }
        });
        listener.Start();
        var client = await StartAsync(new() { ["Gateway:Shadow:QueueCapacity"] = "2", ["Gateway:Shadow:Workers"] = "1" });
        for (var i = 0; i < 10; i++)
        {
            await PredictAsync(client, $"{_model}-{i}");
        }

        var report = await ReportAsync(client);
        var queued = report.GetProperty("queued").GetInt64();
        var dropped = report.GetProperty("dropped").GetInt64();
        Assert.Equal(10, queued + dropped);

        // At most one mirror in the worker's hands and two in the queue; every other one was dropped.
        Assert.InRange(dropped, 7, 8);
        Assert.Equal(dropped, Interlocked.Read(ref droppedMetric));
        _inference.Release(ModelAliases.Shadow);
        await Eventually.WaitUntilAsync(async () => Settled(await ReportAsync(client)) == queued, "the queued mirrors were settled");
    }

    [Fact]
    public async Task Report_ModelWithoutShadow_Is404Problem_AndTheEndpointIsInTheOpenApiDocument()
    {
        var client = await StartAsync();
        using var response = await client.GetAsync("/api/gateway/shadow/never-deployed");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/gateway.json");
        Assert.True(document.GetProperty("paths").TryGetProperty("/api/gateway/shadow/{model}", out _));
    }

    static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    static long Settled(JsonElement report) =>
        report.GetProperty("pairs").EnumerateArray().Sum(p => p.GetProperty("requests").GetInt64()) + report.GetProperty("failed").GetInt64();

    async Task<HttpClient> StartAsync(Dictionary<string, string?>? settings = null)
    {
        _gateway = new GatewayAppFactory(_inference.BaseAddress, _registryAddress, _vhost.Name, settings);
        var client = await _gateway.ReadyClientAsync();
        Assert.NotNull(_gateway.Table.Find(_model)?.Shadow);
        return client;
    }

    async Task<JsonElement> PredictAsync(HttpClient client, string entity)
    {
        using var response = await client.PostAsync($"/api/inference/models/{_model}/predict", new StringContent($$"""{"entityId":"{{entity}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    async Task<JsonElement> ReportAsync(HttpClient client) => await client.GetFromJsonAsync<JsonElement>($"/api/gateway/shadow/{_model}");
}
