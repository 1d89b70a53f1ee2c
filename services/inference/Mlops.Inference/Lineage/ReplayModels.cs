using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Mlops.Inference.Deployments;
using Mlops.Inference.Models;

namespace Mlops.Inference.Lineage;

/// <summary>
/// The exact artifact a logged prediction was made with, by content hash, for re-scoring: a version this pod serves
/// now with that hash; else a session made for replays (a few kept, least recently used first out) from the local
/// artifact cache, a configured local model, or the registry's content-addressed store — verified against the hash
/// before it is loaded, whatever the source (<see cref="ModelHost.LoadAsync"/> refuses a mismatch).
/// </summary>
public sealed class ReplayModels(
    ModelCatalog catalog, RegistryArtifactClient artifacts, IServiceProvider services, IOptions<InferenceOptions> options, ILoggerFactory loggers) : IDisposable
{
    const int Kept = 4;

    readonly ConcurrentDictionary<string, Lazy<Task<ModelHost>>> _hosts = new(StringComparer.Ordinal);
    readonly ConcurrentQueue<string> _order = new();

    /// <summary>
    /// A lease on a session of the artifact <paramref name="sha256"/> with the model's input order
    /// <paramref name="features"/>; the caller releases it. Throws <see cref="InvalidDataException"/> when no source
    /// has bytes with that hash.
    /// </summary>
    public async Task<LoadedModel> LeaseAsync(string modelName, string version, string sha256, IReadOnlyList<string> features, CancellationToken cancellationToken)
    {
        sha256 = sha256.Trim().ToLowerInvariant();
        foreach (var host in catalog.HostsOf(modelName))
        {
            if (host.Current is { } current && string.Equals(current.Sha256.Trim(), sha256, StringComparison.OrdinalIgnoreCase)
                && current.Features.SequenceEqual(features) && host.Lease() is { } served)
            {
                return served;
            }
        }

        var lazy = _hosts.GetOrAdd(sha256, key => new Lazy<Task<ModelHost>>(() => LoadAsync(modelName, version, key, features, cancellationToken)));
        ModelHost replay;
        try
        {
            replay = await lazy.Value;
        }
        catch
        {
            _hosts.TryRemove(new KeyValuePair<string, Lazy<Task<ModelHost>>>(sha256, lazy));
            throw;
        }

        return replay.Lease() ?? throw new InvalidOperationException($"The replay session of artifact {sha256} was released.");
    }

    async Task<ModelHost> LoadAsync(string modelName, string version, string sha256, IReadOnlyList<string> features, CancellationToken cancellationToken)
    {
        var path = await LocateAsync(sha256, cancellationToken);
        var template = options.Value.LocalModels.FirstOrDefault(m => m.Name == modelName)
            ?? catalog.HostsOf(modelName).Select(h => h.Current).FirstOrDefault(c => c is not null);
        var host = new ModelHost(services, loggers.CreateLogger<ModelHost>()) { Name = modelName, Variant = "replay" };
        await host.LoadAsync(new ModelDeployment
        {
            Name = modelName,
            Version = version,
            Path = path,
            Sha256 = sha256,
            Features = [.. features],
            Baseline = template?.Baseline ?? [],
            Variant = "replay",
        }, cancellationToken);
        _order.Enqueue(sha256);
        while (_order.Count > Kept && _order.TryDequeue(out var oldest))
        {
            if (_hosts.TryRemove(oldest, out var evicted) && evicted.IsValueCreated && evicted.Value.IsCompletedSuccessfully)
            {
                // Requests holding a lease finish on it; the session goes with the last one.
                evicted.Value.Result.Dispose();
            }
        }

        return host;
    }

    /// <summary>A file holding the artifact: the pod's content-addressed cache, a local model's file, or fetched from the registry into the cache.</summary>
    async Task<string> LocateAsync(string sha256, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var cached = Path.Combine(settings.ArtifactCacheDirectory, sha256 + ".onnx");
        if (File.Exists(cached) && await HashOfAsync(cached, cancellationToken) == sha256)
        {
            return cached;
        }

        foreach (var local in settings.LocalModels.Where(m => string.Equals(m.Sha256.Trim(), sha256, StringComparison.OrdinalIgnoreCase)))
        {
            if (File.Exists(local.Path))
            {
                return local.Path;
            }
        }

        if (settings.RegistryBaseAddress is null)
        {
            throw new InvalidDataException($"Artifact {sha256} is neither cached here nor a local model, and no registry is configured to fetch it from.");
        }

        byte[] bytes;
        try
        {
            bytes = await artifacts.FetchAsync(sha256, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            throw new InvalidDataException($"Artifact {sha256} is not in the registry's store.", ex);
        }

        Directory.CreateDirectory(settings.ArtifactCacheDirectory);
        var partial = cached + "." + Guid.NewGuid().ToString("N") + ".partial";
        await File.WriteAllBytesAsync(partial, bytes, cancellationToken);
        File.Move(partial, cached, overwrite: true);
        return cached;
    }

    static async Task<string> HashOfAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }

    public void Dispose()
    {
        foreach (var lazy in _hosts.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                lazy.Value.Result.Dispose();
            }
        }
    }
}
