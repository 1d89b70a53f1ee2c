using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Registry;

namespace Mlops.Inference.Tests;

/// <summary>
/// Stand-in of the registry's and the features service's read endpoints as the inference service calls them, on a
/// free loopback port: <c>GET /api/registry/artifacts/{sha256}</c> (whatever bytes the test puts under an address,
/// tampered ones included), <c>GET /api/registry/deployments</c>, and the online store
/// (<c>GET /api/features/online/{entityId}</c>, <c>GET /api/features/online?after=&amp;limit=</c>).
/// </summary>
public sealed class ArtifactServer : IAsyncDisposable
{
    readonly ConcurrentDictionary<string, byte[]> _artifacts = new(StringComparer.OrdinalIgnoreCase);
    readonly ConcurrentDictionary<string, object> _deployments = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, OnlineVector> _vectors = new(StringComparer.Ordinal);
    readonly WebApplication _app;

    ArtifactServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Times the online store was asked for one entity (a cache miss read through).</summary>
    public int EntityReads => _entityReads;

    int _entityReads;

    /// <summary>Starts on <paramref name="port"/> (a free one when 0).</summary>
    public static async Task<ArtifactServer> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var server = new ArtifactServer(app);
        app.MapGet("/api/registry/artifacts/{sha256}", (string sha256) =>
            server._artifacts.TryGetValue(sha256, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.NotFound());
        app.MapGet("/api/registry/deployments", () => Results.Json(server._deployments.Values.ToList()));
        app.MapGet("/api/features/online/{entityId}", (string entityId) =>
        {
            Interlocked.Increment(ref server._entityReads);
            return server._vectors.TryGetValue(entityId, out var vector) ? Results.Json(vector) : Results.NotFound();
        });
        app.MapGet("/api/features/online", (string? after, int? limit) =>
        {
            var size = limit ?? 500;
            var page = server._vectors.Values.Where(v => after is null || string.CompareOrdinal(v.EntityId, after) > 0)
                .OrderBy(v => v.EntityId, StringComparer.Ordinal).Take(size).ToList();
            return Results.Json(new { items = page, next = page.Count == size ? page[^1].EntityId : null });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.BaseAddress = new Uri(address + "/");
        return server;
    }

    public void Serve(string sha256, byte[] bytes) => _artifacts[sha256] = bytes;

    /// <summary>Makes the registry list <paramref name="modelName"/>'s current deployment.</summary>
    public void Deploy(string modelName, long revision, params TrafficRoute[] routes) =>
        _deployments[modelName] = new { modelName, revision, routes };

    /// <summary>Puts an entity's vector into the online store.</summary>
    public void Store(string entityId, IReadOnlyDictionary<string, double?> values) =>
        _vectors[entityId] = new OnlineVector(entityId, "test-features-v1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, values, null);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    sealed record OnlineVector(string EntityId, string FeatureSetVersion, DateTimeOffset EventTime, DateTimeOffset ComputedAt, IReadOnlyDictionary<string, double?> Values, string? TriggeringObservationId);
}
