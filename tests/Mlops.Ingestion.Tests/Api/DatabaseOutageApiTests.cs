using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Mlops.Testing;

namespace Mlops.Ingestion.Tests.Api;

/// <summary>
/// Ingestion's database goes away (a proxy the test cuts; the shared PostgreSQL keeps running): the HTTP intake
/// answers 503 with Retry-After — the caller's cue to send the same observations again — and 202 once it is back.
/// </summary>
public sealed class DatabaseOutageApiTests : IAsyncLifetime
{
    TcpProxy _proxy = null!;
    OutageIngestion _service = null!;

    public async Task InitializeAsync()
    {
        var (proxy, viaProxy) = TcpProxy.ForPostgres(await PlatformInfrastructure.CreateDatabaseAsync("ingestion_outage"));
        _proxy = proxy;
        _service = new OutageIngestion(viaProxy);
        _ = _service.Server;
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task Intake_DatabaseCut_Answers503WithRetryAfterAndAcceptsTheSameObservationsOnceItIsBack()
    {
        using var http = _service.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("/api/ingestion/observations", Observations.Valid())).StatusCode);

        _proxy.Cut();
        var single = Observations.Valid();
        var batch = new[] { Observations.Valid(), Observations.Valid(entity: "patient-2") };
        var singleDuringCut = await http.PostAsJsonAsync("/api/ingestion/observations", single);
        var batchDuringCut = await http.PostAsJsonAsync("/api/ingestion/observations/batch", batch);
        var readyDuringCut = await http.GetAsync("/health/ready");

        foreach (var response in new[] { singleDuringCut, batchDuringCut })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
            Assert.Equal(503, problem!["status"]!.GetValue<int>());
            Assert.Equal("database", problem["dependency"]!.GetValue<string>());
            Assert.Contains("send it again", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyDuringCut.StatusCode);
        Assert.Contains("postgres", await readyDuringCut.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        _proxy.Restore();

        // A client honouring Retry-After sends the same request again until it is taken (pooled connections the cut broke fail once each).
        HttpResponseMessage retried = null!;
        await Eventually.WaitUntilAsync(async () =>
        {
            retried = await http.PostAsJsonAsync("/api/ingestion/observations", single);
            return retried.StatusCode != HttpStatusCode.ServiceUnavailable;
        }, "ingestion took the observation again after the database came back");
        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);

        var batchAfter = await http.PostAsJsonAsync("/api/ingestion/observations/batch", batch);
        Assert.Equal(HttpStatusCode.OK, batchAfter.StatusCode);
        Assert.Equal(2, (await batchAfter.Content.ReadFromJsonAsync<JsonObject>())!["accepted"]!.GetValue<int>());
        await Eventually.WaitUntilAsync(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, "readiness recovered");
    }

    sealed class OutageIngestion(string connectionString) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:ingestion", connectionString);
            builder.UseSetting("Ingestion:RawTopic", PlatformInfrastructure.UniqueName("obs-raw"));
            builder.UseSetting("Ingestion:AcceptedTopic", PlatformInfrastructure.UniqueName("obs"));
            builder.UseSetting("Ingestion:RejectedTopic", PlatformInfrastructure.UniqueName("obs-rejected"));
            builder.UseSetting("Ingestion:IntakeGroup", PlatformInfrastructure.UniqueName("intake"));
            builder.UseEnvironment("Testing");
        }
    }
}
