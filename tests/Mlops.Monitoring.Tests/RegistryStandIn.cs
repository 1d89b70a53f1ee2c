using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests;

/// <summary>
/// Stand-in of the registry's and ingestion's HTTP boundary as the retraining saga uses it, on a free loopback port:
/// <c>GET /api/registry/models/{name}</c> (the models a test puts; 404 otherwise), <c>POST /api/registry/rollouts</c>
/// (recorded; answers 202 with a new rollout id) and ingestion's <c>POST</c>/<c>GET /api/ingestion/datasets</c>.
/// </summary>
public sealed class RegistryStandIn : IAsyncDisposable
{
    readonly ConcurrentDictionary<string, JsonObject> _models = new();
    readonly WebApplication _app;
    int _datasets;

    RegistryStandIn(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Dataset versions taken.</summary>
    public ConcurrentQueue<JsonObject> Datasets { get; } = new();

    /// <summary>Dataset versions described with a scope (codes, sources, since), by version.</summary>
    public ConcurrentDictionary<string, JsonObject> DatasetScopes { get; } = new();

    /// <summary>Rollouts the registry lists as under way; while any is, a new rollout is refused with 409 as the registry does.</summary>
    public ConcurrentBag<JsonObject> RolloutsUnderWay { get; } = new();

    /// <summary>Every rollout request received, with the id answered.</summary>
    public ConcurrentQueue<(JsonObject Body, Guid RolloutId)> Rollouts { get; } = new();

    public static async Task<RegistryStandIn> StartAsync()
    {
        var app = LoopbackApp.Create();
        var server = new RegistryStandIn(app);
        app.MapGet("/api/registry/models/{name}", (string name) => server._models.TryGetValue(name, out var model) ? Results.Json(model) : Results.NotFound());
        app.MapPost("/api/registry/rollouts", (JsonObject body) =>
        {
            if (server.RolloutsUnderWay.Count > 0)
            {
                return Results.Problem("A rollout of this model is under way", statusCode: StatusCodes.Status409Conflict);
            }

            var id = Guid.NewGuid();
            server.Rollouts.Enqueue((body, id));
            return Results.Accepted($"/api/registry/rollouts/{id}", new { rolloutId = id });
        });
        app.MapPost("/api/ingestion/datasets", (JsonObject body) =>
        {
            var version = new JsonObject
            {
                ["version"] = $"ds-standin-{Interlocked.Increment(ref server._datasets)}", ["rowCount"] = 100,
                ["createdBy"] = body["createdBy"]?.DeepClone(), ["description"] = body["description"]?.DeepClone(),
                ["codes"] = body["codes"]?.DeepClone(), ["sources"] = body["sources"]?.DeepClone(), ["since"] = body["since"]?.DeepClone(),
            };
            server.Datasets.Enqueue(version);
            return Results.Created($"/api/ingestion/datasets/{version["version"]}", version);
        });
        // A champion's dataset version as ingestion describes it: its scope when a test gave one, else the whole store.
        app.MapGet("/api/ingestion/datasets/{version}", (string version) => Results.Json(
            server.DatasetScopes.TryGetValue(version, out var scope) ? scope.DeepClone() : new JsonObject { ["version"] = version, ["rowCount"] = 100 }));
        app.MapGet("/api/ingestion/datasets", () => Results.Json(new JsonArray(server.Datasets.Select(d => (JsonNode?)d.DeepClone()).ToArray())));
        app.MapGet("/api/registry/rollouts", (string? model) => Results.Json(new JsonArray(server.RolloutsUnderWay.Select(r => (JsonNode?)r.DeepClone()).ToArray())));
        server.BaseAddress = await app.StartLoopbackAsync();
        return server;
    }

    /// <summary>A model whose champion is <paramref name="champion"/>, trained by run <paramref name="runId"/>.</summary>
    public void PutModel(string name, string champion, Guid runId, string datasetVersion, string featureSetVersion) =>
        _models[name] = new JsonObject
        {
            ["name"] = name,
            ["aliases"] = new JsonObject { ["champion"] = champion },
            ["versions"] = new JsonObject
            {
                [champion] = new JsonObject
                {
                    ["registration"] = new JsonObject
                    {
                        ["version"] = champion, ["trainingRunId"] = runId.ToString(), ["datasetVersion"] = datasetVersion, ["featureSetVersion"] = featureSetVersion,
                    },
                },
            },
        };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
