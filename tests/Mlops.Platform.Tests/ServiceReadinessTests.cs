using System.Net;
using System.Text.Json;
using Mlops.Testing;

namespace Mlops.Platform.Tests;

/// <summary>Each of the seven processes starts against the real infrastructure and reports ready only when its dependencies answer.</summary>
public sealed class ServiceReadinessTests
{
    public static TheoryData<string, string[]> Services => new()
    {
        { "services/ingestion/Mlops.Ingestion", ["postgres", "kafka"] },
        { "services/features/Mlops.Features", ["postgres", "kafka"] },
        { "services/training/Mlops.Training", ["postgres", "masstransit-bus"] },
        { "services/registry/Mlops.Registry", ["postgres", "masstransit-bus"] },
        { "services/inference/Mlops.Inference", ["postgres", "kafka", "masstransit-bus"] },
        { "services/monitoring/Mlops.Monitoring", ["postgres", "kafka", "masstransit-bus"] },
        { "gateway/Mlops.Gateway", ["postgres", "masstransit-bus"] },
    };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Service_StartedAgainstRealInfrastructure_IsLiveAndReadyWithEveryDependencyChecked(string project, string[] dependencies)
    {
        await using var service = ServiceProcess.Start(project);
        using var http = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };

        HttpResponseMessage? ready = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            Assert.False(service.HasExited, "the service exited:\n" + service.RecentOutput);
            try
            {
                ready = await http.GetAsync(new Uri("health/ready", UriKind.Relative));
                return ready.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, $"{project} reports ready");

        using var report = JsonDocument.Parse(await ready!.Content.ReadAsStringAsync());
        var checks = report.RootElement.GetProperty("checks");
        foreach (var dependency in dependencies)
        {
            Assert.Equal("Healthy", checks.GetProperty(dependency).GetProperty("status").GetString());
        }

        var live = await http.GetAsync(new Uri("health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Service_WhenItsDatabaseIsUnreachable_IsLiveButNotReadyAndNamesTheFailingDependency()
    {
        var unreachable = new Dictionary<string, string>
        {
            // A closed loopback port: the database check must fail, nothing else changes.
            ["ConnectionStrings__ingestion"] = "Host=127.0.0.1;Port=1;Username=nobody;Password=none;Database=none;Timeout=2",
        };
        await using var service = ServiceProcess.Start("services/ingestion/Mlops.Ingestion", unreachable);
        using var http = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        HttpResponseMessage? live = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            Assert.False(service.HasExited, "the service exited:\n" + service.RecentOutput);
            try
            {
                live = await http.GetAsync(new Uri("health/live", UriKind.Relative));
                return live.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the ingestion service answers /health/live");

        var ready = await http.GetAsync(new Uri("health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var report = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        var postgres = report.RootElement.GetProperty("checks").GetProperty("postgres");
        Assert.Equal("Unhealthy", postgres.GetProperty("status").GetString());
        Assert.Contains("127.0.0.1:1", postgres.GetProperty("description").GetString(), StringComparison.Ordinal);
    }
}
