using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Testing;

namespace Mlops.Inference.Tests;

internal static class ApiClient
{
    public static async Task<HttpClient> ReadyClientAsync(this InferenceAppFactory factory, bool expectModel = true)
    {
        var client = factory.CreateClient();
        await Eventually.WaitUntilAsync(async () =>
        {
            var status = await client.GetFromJsonAsync<JsonElement>("/api/inference/model");
            return status.GetProperty("state").GetString() == (expectModel ? "Serving" : "Fallback");
        }, "the model host settled");
        return client;
    }

    public static async Task<JsonElement> PredictAsync(this HttpClient client, object features)
    {
        using var response = await client.PostAsJsonAsync("/api/inference/predict", new { features });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
