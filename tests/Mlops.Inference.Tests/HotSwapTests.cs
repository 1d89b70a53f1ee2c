using System.Net.Http.Json;
using System.Text.Json;

namespace Mlops.Inference.Tests;

public sealed class HotSwapTests : IAsyncLifetime
{
    readonly InferenceAppFactory _factory = new(settings: Models.FolderSettings);
    HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _factory.ReadyClientAsync();

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    // Clients keep predicting through the swap: every request must succeed, answered by exactly one of the two
    // versions with that version's numbers, and once the swap returns only v2 answers.
    [Fact]
    public async Task LoadModel_WhileRequestsInFlight_NoneFailsAndV2AnswersAfterwards()
    {
        var vitals = Models.Vitals(125, 27, 89, 39.4, 88);
        var expected = new Dictionary<string, double>
        {
            ["1"] = Models.Expected(Models.V1, vitals).Mean,
            ["2"] = Models.Expected(Models.V2, vitals).Mean,
        };
        using var stop = new CancellationTokenSource();
        var answered = new System.Collections.Concurrent.ConcurrentBag<JsonElement>();
        var clients = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                answered.Add(await _client.PredictAsync(vitals));
            }
        })).ToArray();
        await Mlops.Testing.Eventually.WaitUntilAsync(() => answered.Count > 50, "clients are predicting");

        using var swap = await _client.PostAsJsonAsync("/api/inference/model", new
        {
            name = "deterioration", version = "2", path = Models.FileOf(Models.V2), sha256 = Models.Sha256Of(Models.V2), features = Models.Features,
        });
        swap.EnsureSuccessStatusCode();
        var afterSwap = answered.Count;
        await Mlops.Testing.Eventually.WaitUntilAsync(() => answered.Count > afterSwap + 50, "clients predicted after the swap");
        stop.Cancel();
        await Task.WhenAll(clients);

        Assert.All(answered, a =>
        {
            var version = a.GetProperty("modelVersion").GetString()!;
            Assert.Equal(expected[version], a.GetProperty("probability").GetDouble(), 5);
        });
        Assert.Contains(answered, a => a.GetProperty("modelVersion").GetString() == "1");
        var last = await _client.PredictAsync(vitals);
        Assert.Equal("2", last.GetProperty("modelVersion").GetString());
        var status = await _client.GetFromJsonAsync<JsonElement>("/api/inference/model");
        Assert.Equal("2", status.GetProperty("modelVersion").GetString());
    }
}
