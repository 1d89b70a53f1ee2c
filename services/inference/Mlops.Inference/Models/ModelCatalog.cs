using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Mlops.Inference.Models;

/// <summary>
/// Every model this pod serves, by name, each with its own <see cref="ModelHost"/> (hot swap, leases, state). The
/// default model (<see cref="InferenceOptions.DefaultModel"/>) answers the unnamed routes; streaming scores each model
/// on its own feature set's vectors.
/// </summary>
public sealed class ModelCatalog(IServiceProvider services, ILoggerFactory loggers, IOptions<InferenceOptions> options) : IDisposable
{
    readonly ConcurrentDictionary<string, ModelHost> _hosts = new(StringComparer.Ordinal);

    public string DefaultName => options.Value.DefaultModel;

    /// <summary>The host of the default model (created on first use).</summary>
    public ModelHost Default => Host(DefaultName);

    /// <summary>Hosts of every model known to this pod, by name.</summary>
    public IReadOnlyCollection<ModelHost> All => [.. _hosts.Values.OrderBy(h => h.Name, StringComparer.Ordinal)];

    /// <summary>Whether this pod serves <paramref name="name"/>: every model, or only those listed in <c>Inference:Models</c>.</summary>
    public bool Serves(string name) =>
        options.Value.Models.Count == 0 || options.Value.Models.Contains(name, StringComparer.Ordinal) || name == DefaultName;

    /// <summary>The host of <paramref name="name"/>, created empty on first use.</summary>
    public ModelHost Host(string name) =>
        _hosts.GetOrAdd(name, n => new ModelHost(services, loggers.CreateLogger<ModelHost>()) { Name = n });

    /// <summary>The host of a model this pod has a version of (or the default model, which the fallback answers).</summary>
    public bool TryGet(string name, out ModelHost host)
    {
        if (name == DefaultName)
        {
            host = Default;
            return true;
        }

        return _hosts.TryGetValue(name, out host!) && host.Current is not null;
    }

    public void Dispose()
    {
        foreach (var host in _hosts.Values)
        {
            host.Dispose();
        }
    }
}
