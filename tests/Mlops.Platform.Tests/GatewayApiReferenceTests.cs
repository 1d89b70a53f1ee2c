using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mlops.Testing;

namespace Mlops.Platform.Tests;

/// <summary>The gateway's browsable API reference and the services' documents it proxies, with every service running.</summary>
public sealed partial class GatewayApiReferenceTests
{
    static readonly (string Name, string Project, string Route)[] Services =
    [
        ("ingestion", "services/ingestion/Mlops.Ingestion", "/api/ingestion/observations"),
        ("features", "services/features/Mlops.Features", "/api/features/online/{entityId}"),
        ("training", "services/training/Mlops.Training", "/api/training/runs"),
        ("registry", "services/registry/Mlops.Registry", "/api/registry/models"),
        ("inference", "services/inference/Mlops.Inference", "/api/inference/predict"),
        ("monitoring", "services/monitoring/Mlops.Monitoring", "/api/monitoring/models/{model}/variants"),
    ];

    [Fact]
    public async Task Gateway_ApiReference_ListsEveryServicesDocumentAndServesThemThroughItsRoutes()
    {
        var started = new List<ServiceProcess>();
        try
        {
            var gatewayEnvironment = new Dictionary<string, string>();
            foreach (var (name, project, _) in Services)
            {
                var service = ServiceProcess.Start(project);
                started.Add(service);
                // Only the address is overridden: the routes and transforms are the shipped ones.
                gatewayEnvironment[$"ReverseProxy__Clusters__{name}__Destinations__primary__Address"] = service.BaseAddress.ToString();
            }

            foreach (var service in started)
            {
                await service.WaitUntilReadyAsync();
            }

            var gateway = ServiceProcess.Start("gateway/Mlops.Gateway", gatewayEnvironment);
            started.Add(gateway);
            using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };

            var page = await ServiceDocumentTests.GetWhenUpAsync(gateway, http, "api-reference");
            foreach (var (name, _, route) in Services)
            {
                // Relative to the gateway's root, so it also works behind a path prefix.
                Assert.Contains($"\"url\":\"openapi/{name}.json\"", page, StringComparison.Ordinal);

                var document = await ServiceDocumentTests.GetWhenUpAsync(gateway, http, $"openapi/{name}.json");
                using var json = JsonDocument.Parse(document);
                var paths = json.RootElement.GetProperty("paths");
                Assert.True(paths.TryGetProperty(route, out _), $"{name}'s document through the gateway lists {route}");
            }

            // The page's script comes from the gateway itself, not from a CDN.
            var scripts = ScriptSource().Matches(page).Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(scripts);
            foreach (var script in scripts)
            {
                Assert.False(Uri.TryCreate(script, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal), $"script {script} is loaded from elsewhere");
                var response = await http.GetAsync(new Uri(new Uri(gateway.BaseAddress, "api-reference/"), script));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            var metrics = await http.GetAsync(new Uri("metrics", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Contains("http_server_request_duration_seconds", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var process in started)
            {
                await process.DisposeAsync();
            }
        }
    }

    [GeneratedRegex("<script[^>]*\\ssrc=\"([^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptSource();
}
