using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Inference.Tests.Lineage;

/// <summary>
/// The prediction log is a record, not a best effort: every prediction a client got an answer for is in the table even
/// when the process is killed (a real <c>kill -9</c>) with requests in flight — each answer waited for its entry's batch
/// to be inserted. Without that wait, the entries queued at the kill are lost (this test fails with
/// <c>Inference:PredictionLog:WriteWait</c> at zero).
/// </summary>
public sealed class PredictionLogDurabilityTests
{
    const int Predictions = 1600;
    const int Clients = 16;

    [Fact]
    public async Task AnsweredPredictions_ProcessKilledRightAfterTheLastAnswer_AreAllInTheLog()
    {
        await using var upstream = await ArtifactServer.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["Inference__RegistryBaseAddress"] = upstream.BaseAddress.ToString(),
            ["Inference__FeaturesBaseAddress"] = upstream.BaseAddress.ToString(),
            // Topics and groups of this test's own (as every inference test host has): connection settings, not behaviour.
            ["Inference__Streaming__FeaturesTopic"] = PlatformInfrastructure.UniqueName("features-test"),
            ["Inference__Streaming__PredictionsTopic"] = PlatformInfrastructure.UniqueName("predictions-test"),
            ["Inference__Streaming__ConsumerGroup"] = PlatformInfrastructure.UniqueName("inference-test"),
            ["Inference__BatchJobs__Topic"] = PlatformInfrastructure.UniqueName("batch-chunks-test"),
            ["Inference__BatchJobs__ConsumerGroup"] = PlatformInfrastructure.UniqueName("inference-batch-test"),
            ["Inference__PredictionLog__Topic"] = PlatformInfrastructure.UniqueName("prediction-log-test"),
            ["Inference__LocalModels__0__Name"] = "deterioration",
            ["Inference__LocalModels__0__Version"] = "1",
            ["Inference__LocalModels__0__Path"] = Models.PathOf(Models.V1),
            ["Inference__LocalModels__0__Sha256"] = Models.Sha256Of(Models.V1),
        };
        for (var i = 0; i < Models.Features.Length; i++)
        {
            environment[$"Inference__LocalModels__0__Features__{i}"] = Models.Features[i];
            environment[$"Inference__LocalModels__0__Baseline__{Models.Features[i]}"] = Models.Baseline[i].ToString(CultureInfo.InvariantCulture);
        }

        await using var inference = ServiceProcess.Start("services/inference/Mlops.Inference", environment);
        await inference.WaitUntilReadyAsync();
        using var http = new HttpClient { BaseAddress = inference.BaseAddress };
        var run = Guid.NewGuid().ToString("N")[..8];
        var answered = new ConcurrentBag<string>();
        using var killed = new CancellationTokenSource();

        // Clients keep predicting; the process is killed while requests are in flight, once enough were answered.
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            for (var i = c; !killed.IsCancellationRequested; i += Clients)
            {
                var features = Models.Vitals(70 + i % 50, 12 + i % 10, 90 + i % 9, 36.5 + i % 3, 100 + i % 40);
                try
                {
                    using var response = await http.PostAsJsonAsync("api/inference/predict", new { entityId = $"durable-{run}-{i}", features });
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.True(response.IsSuccessStatusCode, body);
                    answered.Add(JsonDocument.Parse(body).RootElement.GetProperty("predictionId").GetString()!);
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && (killed.IsCancellationRequested || inference.HasExited))
                {
                    return; // the process is gone; what was answered before is what counts
                }
            }
        })).ToList();
        await Eventually.WaitUntilAsync(() => answered.Count >= Predictions || clients.Any(c => c.IsFaulted), $"{Predictions} predictions answered");
        inference.Kill();
        killed.Cancel();
        await Task.WhenAll(clients);
        await Eventually.WaitUntilAsync(() => inference.HasExited, "the inference process exited");

        var ids = answered.ToArray();
        await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("inference"));
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM prediction_log WHERE prediction_id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        var logged = (long)(await command.ExecuteScalarAsync())!;
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.True(logged == ids.Length, $"{ids.Length - logged} of {ids.Length} answered predictions are not in the log after the kill");
    }
}
