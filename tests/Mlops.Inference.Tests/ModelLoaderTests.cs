using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Contracts.Registry;

namespace Mlops.Inference.Tests;

/// <summary>
/// Local artifacts (<c>Inference:LocalModels</c>) served as the variant they name, so a pod without a registry serves a
/// split or a mirror (the gateway benchmark's pod, a pod under test).
/// </summary>
public sealed class ModelLoaderTests
{
    [Fact]
    public async Task LocalModel_NamingShadowVariant_IsServedAsTheShadowBesideTheChampion()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Inference:LocalModels:1:Name"] = "deterioration",
            ["Inference:LocalModels:1:Version"] = "2",
            ["Inference:LocalModels:1:Variant"] = ModelAliases.Shadow,
            ["Inference:LocalModels:1:Path"] = Models.PathOf(Models.V2),
            ["Inference:LocalModels:1:Sha256"] = Models.Sha256Of(Models.V2),
        };
        for (var i = 0; i < Models.Features.Length; i++)
        {
            settings[$"Inference:LocalModels:1:Features:{i}"] = Models.Features[i];
        }

        await using var factory = new InferenceAppFactory(settings: settings);
        using var client = await factory.ReadyClientAsync();
        var features = Models.Vitals(118, 24, 92, 38.4, 96);

        var shadow = await PredictAsync(client, features, ModelAliases.Shadow);
        var primary = await PredictAsync(client, features, variant: null);

        Assert.Equal((HttpStatusCode.OK, "2", ModelAliases.Shadow), shadow);
        Assert.Equal((HttpStatusCode.OK, "1", "local"), primary);
    }

    static async Task<(HttpStatusCode Status, string? Version, string? Variant)> PredictAsync(HttpClient client, Dictionary<string, double?> features, string? variant)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/inference/predict") { Content = JsonContent.Create(new { features }) };
        if (variant is not null)
        {
            request.Headers.Add("X-Model-Variant", variant);
        }

        using var response = await client.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), null);
        }

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.GetProperty("modelVersion").GetString(), body.GetProperty("variant").GetString());
    }
}
