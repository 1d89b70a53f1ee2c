using System.Net.Http.Json;
using Mlops.Contracts.Registry;

namespace Mlops.Inference.Deployments;

/// <summary>Every model's current deployment (<c>GET /api/registry/deployments</c>), asked once at start.</summary>
public sealed class RegistryDeploymentsClient(HttpClient http)
{
    public async Task<IReadOnlyList<CurrentDeployment>> ListAsync(CancellationToken cancellationToken)
    {
        var list = await http.GetFromJsonAsync<List<CurrentDeployment>>("api/registry/deployments", cancellationToken);
        return list ?? [];
    }
}

/// <summary>One model's deployment as the registry lists it.</summary>
public sealed record CurrentDeployment(string ModelName, long Revision, IReadOnlyList<TrafficRoute> Routes);
