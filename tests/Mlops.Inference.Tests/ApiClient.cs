using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Testing;

namespace Mlops.Inference.Tests;

internal static class ApiClient
{
    /// <summary>A client once the default model (or <paramref name="model"/>) has settled: serving, or in fallback.</summary>
    public static async Task<HttpClient> ReadyClientAsync(this InferenceAppFactory factory, bool expectModel = true, string? model = null)
    {
        var client = factory.CreateClient();
        await Eventually.WaitUntilAsync(async () =>
        {
            using var response = await client.GetAsync(model is null ? "/api/inference/model" : $"/api/inference/models/{model}");
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            var status = await response.Content.ReadFromJsonAsync<JsonElement>();
            return status.GetProperty("state").GetString() == (expectModel ? "Serving" : "Fallback");
        }, "the model host settled");
        return client;
    }

    public static async Task<JsonElement> PredictAsync(this HttpClient client, object features, string? model = null)
    {
        using var response = await client.PostAsJsonAsync(model is null ? "/api/inference/predict" : $"/api/inference/models/{model}/predict", new { features });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
