using System.Net;
using System.Text.Json;
using Mlops.Testing;

namespace Mlops.Platform.Tests;

/// <summary>Every process serves its OpenAPI document and a Prometheus scrape endpoint (from ServiceDefaults).</summary>
public sealed class ServiceDocumentTests
{
    /// <summary>Each service with routes its document must list.</summary>
    public static TheoryData<string, string[]> Services => new()
    {
        { "services/ingestion/Mlops.Ingestion", ["/api/ingestion/observations", "/api/ingestion/observations/batch", "/api/ingestion/schemas", "/api/ingestion/datasets/{version}", "/api/ingestion/datasets/{version}/entities"] },
        { "services/features/Mlops.Features", ["/api/features/online/{entityId}", "/api/features/labels", "/api/features/training-sets", "/api/features/point-in-time/{entityId}", "/api/features/datasets/{datasetVersion}/vectors"] },
        { "services/training/Mlops.Training", ["/api/training/runs", "/api/training/runs/{id}", "/api/training/runs/compare"] },
        { "services/registry/Mlops.Registry", ["/api/registry/models", "/api/registry/models/{name}", "/api/registry/artifacts", "/api/registry/datasets/{datasetVersion}/models"] },
        { "services/inference/Mlops.Inference", ["/api/inference/predict", "/api/inference/predict/batch", "/api/inference/model", "/api/lineage/predictions/{predictionId}", "/api/lineage/observations/{observationId}/predictions", "/api/inference/batch-jobs", "/api/inference/batch-jobs/{id}/results"] },
        { "services/monitoring/Mlops.Monitoring", ["/api/monitoring/models/{model}/drift", "/api/monitoring/windows/{windowId}", "/api/monitoring/models/{model}/versions/{version}/profile", "/api/monitoring/alerts/drift", "/api/monitoring/models/{model}/performance", "/api/monitoring/performance/{windowId}", "/api/monitoring/alerts", "/api/monitoring/models/{model}/variants", "/api/monitoring/webhooks", "/api/monitoring/webhooks/{webhookId}", "/api/monitoring/webhooks/{webhookId}/deliveries", "/api/monitoring/slo", "/api/monitoring/slo/{model}", "/api/monitoring/retraining", "/api/monitoring/retraining/{id}", "/api/monitoring/retraining/models/{model}", "/api/monitoring/models/{model}/settings"] },
    };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Service_OpenApiDocument_ListsItsRoutes(string project, string[] routes)
    {
        await using var service = ServiceProcess.Start(project);
        using var http = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };

        var document = await GetWhenUpAsync(service, http, "openapi/v1.json");

        using var json = JsonDocument.Parse(document);
        Assert.StartsWith("3.", json.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = json.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var route in routes)
        {
            Assert.Contains(route, paths);
        }

        // Infrastructure endpoints are not part of the service's API.
        Assert.DoesNotContain(paths, p => p.StartsWith("/health", StringComparison.Ordinal) || p == "/metrics");
    }

    [Fact]
    public async Task Service_MetricsEndpoint_AnswersPrometheusTextWithThePlatformsOwnMetric()
    {
        await using var service = ServiceProcess.Start("services/features/Mlops.Features");
        using var http = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
        await service.WaitUntilReadyAsync();

        // One online read records mlops.features.online_reads (an unknown entity is a 404, and still a read).
        var read = await http.GetAsync(new Uri("api/features/online/metrics-probe", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);

        var metrics = await http.GetAsync(new Uri("metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE mlops_features_online_reads_total counter", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
    }

    internal static async Task<string> GetWhenUpAsync(ServiceProcess service, HttpClient http, string path)
    {
        string? body = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            Assert.False(service.HasExited, "the service exited:\n" + service.RecentOutput);
            try
            {
                var response = await http.GetAsync(new Uri(path, UriKind.Relative));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }

                body = await response.Content.ReadAsStringAsync();
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, $"{service.BaseAddress}{path} answers");
        return body!;
    }
}
