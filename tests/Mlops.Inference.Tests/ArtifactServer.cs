using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mlops.Contracts.Registry;
using Mlops.Testing;

namespace Mlops.Inference.Tests;

/// <summary>
/// Stand-in of the registry's and the features service's read endpoints as the inference service calls them, on a
/// free loopback port: <c>GET /api/registry/artifacts/{sha256}</c> (whatever bytes the test puts under an address,
/// tampered ones included), <c>GET /api/registry/deployments</c>, and the online store
/// (<c>GET /api/features/online/{entityId}[?set={name}]</c>, <c>GET /api/features/online?after=&amp;limit=</c>).
/// </summary>
public sealed class ArtifactServer : IAsyncDisposable
{
    readonly ConcurrentDictionary<string, byte[]> _artifacts = new(StringComparer.OrdinalIgnoreCase);
    readonly ConcurrentDictionary<string, object> _deployments = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, object> _versions = new(StringComparer.Ordinal);
    /// <summary>A version of the features service's shipped set ("vitals"), as its vectors carry it.</summary>
    public const string ShippedVersion = "vitals-0123456789ab";

    const string ShippedSet = "vitals";

    readonly ConcurrentDictionary<string, OnlineVector> _vectors = new(StringComparer.Ordinal);
    readonly ConcurrentQueue<string?> _setsAsked = new();
    readonly WebApplication _app;

    ArtifactServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Times the online store was asked for one entity (a cache miss read through).</summary>
    public int EntityReads => _entityReads;

    int _entityReads;

    /// <summary>
    /// Starts on <paramref name="port"/> (a free one when 0); <paramref name="prepare"/> fills it before it answers, as a
    /// registry that comes back already holding its deployments.
    /// </summary>
    public static async Task<ArtifactServer> StartAsync(int port = 0, Action<ArtifactServer>? prepare = null)
    {
        var app = LoopbackApp.Create(port);
        var server = new ArtifactServer(app);
        app.MapGet("/api/registry/artifacts/{sha256}", (string sha256) =>
            server._artifacts.TryGetValue(sha256, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.NotFound());
        app.MapGet("/api/registry/deployments", () => Results.Json(server._deployments.Values.ToList()));
        app.MapGet("/api/registry/models/{name}/versions/{version}", (string name, string version) =>
            server._versions.TryGetValue(name + "\n" + version, out var registration) ? Results.Json(new { registration }) : Results.NotFound());
        app.MapGet("/api/features/online/{entityId}", (string entityId, string? set) =>
        {
            Interlocked.Increment(ref server._entityReads);
            server._setsAsked.Enqueue(set);
            return server._vectors.TryGetValue(Key(set ?? ShippedSet, entityId), out var vector) ? Results.Json(vector) : Results.NotFound();
        });
        app.MapGet("/api/features/online", (string? after, int? limit) =>
        {
            // Like the features service, the snapshot pages hold the shipped set only.
            var size = limit ?? 500;
            var page = server._vectors.Values.Where(v => v.FeatureSetVersion == ShippedVersion && (after is null || string.CompareOrdinal(v.EntityId, after) > 0))
                .OrderBy(v => v.EntityId, StringComparer.Ordinal).Take(size).ToList();
            return Results.Json(new { items = page, next = page.Count == size ? page[^1].EntityId : null });
        });
        prepare?.Invoke(server);
        server.BaseAddress = await app.StartLoopbackAsync();
        return server;
    }

    public void Serve(string sha256, byte[] bytes) => _artifacts[sha256] = bytes;

    /// <summary>Makes the registry answer for a model version's registration (its lineage).</summary>
    public void Register(string modelName, string version, string sha256, string trainingRunId, string datasetVersion, string? featureSetVersion = null) =>
        _versions[modelName + "\n" + version] = new
        {
            modelName, version, artifactSha256 = sha256, trainingRunId, datasetVersion, featureSetVersion, codeVersion = "test",
        };

    /// <summary>Makes the registry list <paramref name="modelName"/>'s current deployment.</summary>
    public void Deploy(string modelName, long revision, params TrafficRoute[] routes) =>
        _deployments[modelName] = new { modelName, revision, routes };

    /// <summary>
    /// Puts an entity's vector into the online store as the version in use under its set's name (by default the
    /// shipped set's, <see cref="ShippedVersion"/>), replacing the one of an older version under that name.
    /// </summary>
    public void Store(string entityId, IReadOnlyDictionary<string, double?> values, string featureSetVersion = ShippedVersion) =>
        _vectors[Key(featureSetVersion[..featureSetVersion.LastIndexOf('-')], entityId)] =
            new OnlineVector(entityId, featureSetVersion, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, values, null);

    /// <summary>The <c>set</c> query of every online read, in order (null: none, the shipped set).</summary>
    public IReadOnlyList<string?> SetsAsked => [.. _setsAsked];

    static string Key(string setName, string entityId) => setName + "\n" + entityId;

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    sealed record OnlineVector(string EntityId, string FeatureSetVersion, DateTimeOffset EventTime, DateTimeOffset ComputedAt, IReadOnlyDictionary<string, double?> Values, string? TriggeringObservationId);
}
