using System.Net.Http.Json;
using Mlops.Contracts.Registry;

namespace Mlops.Gateway.Routing;

/// <summary>Every model's current deployment (<c>GET /api/registry/deployments</c>), read once at start.</summary>
public sealed class RegistryDeploymentsClient(HttpClient http)
{
    public async Task<IReadOnlyList<RegistryDeployment>> ListAsync(CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<List<RegistryDeployment>>("api/registry/deployments", cancellationToken) ?? [];
}

/// <summary>One model's deployment as the registry lists it.</summary>
public sealed record RegistryDeployment(string ModelName, long Revision, IReadOnlyList<TrafficRoute> Routes);
