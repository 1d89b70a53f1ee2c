using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mlops.Contracts.Monitoring;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests;

/// <summary>
/// Stand-in of the training service's reads monitoring makes, <c>GET /api/training/runs/{id}/artifacts/reference-profile</c> and the run record <c>GET /api/training/runs/{id}</c>,
/// on a free loopback port, serving the profiles a test puts under a run id (404 for any other run, as training answers).
/// </summary>
public sealed class TrainingStandIn : IAsyncDisposable
{
    readonly ConcurrentDictionary<Guid, ReferenceProfile> _profiles = new();
    readonly ConcurrentDictionary<Guid, System.Text.Json.Nodes.JsonObject> _runs = new();
    readonly WebApplication _app;

    TrainingStandIn(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<TrainingStandIn> StartAsync()
    {
        var app = LoopbackApp.Create();
        var server = new TrainingStandIn(app);
        app.MapGet("/api/training/runs/{id:guid}/artifacts/reference-profile", (Guid id) =>
            server._profiles.TryGetValue(id, out var profile) ? Results.Json(profile) : Results.NotFound());
        // The run record the retraining saga reads (request and metrics), shaped as training's GET /api/training/runs/{id}.
        app.MapGet("/api/training/runs/{id:guid}", (Guid id) =>
            server._runs.TryGetValue(id, out var run) ? Results.Json(new System.Text.Json.Nodes.JsonObject { ["run"] = run.DeepClone() }) : Results.NotFound());
        server.BaseAddress = await app.StartLoopbackAsync();
        return server;
    }

    public void Put(Guid runId, ReferenceProfile profile) => _profiles[runId] = profile;

    /// <summary>Serves a run record: its request (<c>parameters</c>) and <c>metrics</c>.</summary>
    public void PutRun(Guid runId, System.Text.Json.Nodes.JsonObject parameters, IReadOnlyDictionary<string, double> metrics) =>
        _runs[runId] = new System.Text.Json.Nodes.JsonObject
        {
            ["runId"] = runId.ToString(), ["parameters"] = parameters.DeepClone(),
            ["metrics"] = new System.Text.Json.Nodes.JsonObject(metrics.Select(m => KeyValuePair.Create(m.Key, (System.Text.Json.Nodes.JsonNode?)m.Value))),
        };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
