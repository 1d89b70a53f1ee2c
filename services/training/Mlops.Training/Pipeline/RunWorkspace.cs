using System.Collections.Concurrent;
using Mlops.Training.Algorithms;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Data;

namespace Mlops.Training.Pipeline;

/// <summary>
/// In-process objects a run's steps hand to each other (rows, matrices, the fitted model): a cache in front of the
/// <see cref="WorkspaceStore"/>, from which a step reloads what this process does not hold (restart, other replica).
/// </summary>
public sealed class RunWorkspace
{
    readonly ConcurrentDictionary<Guid, Entry> _entries = new();
    readonly ConcurrentDictionary<Guid, byte> _cancelled = new();

    /// <summary>One run's objects.</summary>
    public sealed class Entry
    {
        public CancellationTokenSource Cancellation { get; } = new();
        public List<TrainingSetRow>? Rows { get; set; }

        /// <summary>The features ValidateData kept, in input order.</summary>
        public IReadOnlyList<string>? Features { get; set; }

        /// <summary>The degraded-mode rule's points per training-set row (null where the row has no vitals).</summary>
        public double?[]? RulePoints { get; set; }
        public TabularData? Data { get; set; }
        public TabularData? TrainSet { get; set; }
        public TabularData? TestSet { get; set; }
        public IBinaryClassifier? Model { get; set; }
        public EvaluationReport? Evaluation { get; set; }
        public byte[]? Onnx { get; set; }
    }

    public Entry For(Guid runId)
    {
        var entry = _entries.GetOrAdd(runId, _ => new Entry());
        if (_cancelled.ContainsKey(runId))
        {
            entry.Cancellation.Cancel();
        }

        return entry;
    }

    public bool IsCancelled(Guid runId) => _cancelled.ContainsKey(runId);

    /// <summary>Stops the run's current step and keeps later ones from starting.</summary>
    public void Cancel(Guid runId)
    {
        _cancelled.TryAdd(runId, 0);
        if (_entries.TryGetValue(runId, out var entry))
        {
            entry.Cancellation.Cancel();
        }
    }

    public void Release(Guid runId)
    {
        if (_entries.TryRemove(runId, out var entry))
        {
            entry.Cancellation.Dispose();
        }
    }
}

/// <summary>A step found a problem a retry cannot fix; the run fails with this reason.</summary>
public sealed class TrainingStepException(string reason) : Exception(reason);
