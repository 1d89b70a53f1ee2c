using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Contracts.Monitoring;

namespace Mlops.Monitoring.Profiles;

/// <summary>Reads a training run's <c>reference-profile.json</c> from the training service.</summary>
public sealed class TrainingProfileClient(HttpClient http)
{
    /// <summary>The profile; null when the run has none (a run from before profiles, or not a platform run).</summary>
    public async Task<ReferenceProfile?> GetAsync(string trainingRunId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(trainingRunId, out var runId))
        {
            return null;
        }

        using var response = await http.GetAsync($"api/training/runs/{runId}/artifacts/reference-profile", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        // Anything else that is not a success (5xx, the service down) throws, and the registration is retried.
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<ReferenceProfile>(JsonSerializerOptions.Web, cancellationToken);
    }
}
