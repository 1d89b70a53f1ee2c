using System.Collections.Concurrent;
using Mlops.Contracts.Registry;

namespace Mlops.Gateway.Routing;

/// <summary>
/// Every model's current routes as this gateway replica knows them, from the registry's list at start and
/// <c>DeploymentChanged</c> events after. A revision not newer than the applied one is ignored, so the start-up read
/// and a late or redelivered event cannot move a model back.
/// </summary>
public sealed class DeploymentTable
{
    readonly ConcurrentDictionary<string, ModelRoutes> _models = new(StringComparer.Ordinal);
    readonly Lock _writes = new();

    /// <summary>The model's routes, or null when the gateway knows no deployment of it.</summary>
    public ModelRoutes? Find(string modelName) => _models.GetValueOrDefault(modelName);

    public IReadOnlyCollection<ModelRoutes> All => [.. _models.Values];

    /// <summary>Deployments applied since start (ignored ones not counted).</summary>
    public long Changes => Interlocked.Read(ref _changes);

    long _changes;

    /// <summary>Applies a deployment; false when <paramref name="revision"/> is not newer than the one applied.</summary>
    public bool Apply(string modelName, long revision, IReadOnlyList<TrafficRoute> routes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        ArgumentNullException.ThrowIfNull(routes);
        lock (_writes)
        {
            if (_models.TryGetValue(modelName, out var current) && revision <= current.Revision)
            {
                return false;
            }

            _models[modelName] = new ModelRoutes(modelName, revision, [.. routes]);
            Interlocked.Increment(ref _changes);
            return true;
        }
    }
}
