using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Data;

namespace Mlops.Training.Tests;

/// <summary>
/// Training sets by label name, fed by the test in place of the features service's NDJSON stream. A label can be
/// gated: its stream stops after the first row until the test opens the gate (or the run is cancelled).
/// </summary>
public sealed class InTestTrainingSetSource : ITrainingSetSource
{
    readonly ConcurrentDictionary<string, IReadOnlyList<TrainingSetRow>> _sets = new();
    readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    readonly ConcurrentDictionary<string, TaskCompletionSource> _entered = new();

    public void Add(string labelName, IReadOnlyList<TrainingSetRow> rows) => _sets[labelName] = rows;

    /// <summary>Holds the label's stream after its first row; the returned task completes when a step reached the gate.</summary>
    public Task Gate(string labelName)
    {
        _gates[labelName] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _entered.GetOrAdd(labelName, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
    }

    public void Open(string labelName) => _gates[labelName].TrySetResult();

    public async IAsyncEnumerable<TrainingSetRow> ReadAsync(string labelName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rows = _sets[labelName];
        for (var i = 0; i < rows.Count; i++)
        {
            yield return rows[i];
            if (i == 0 && _gates.TryGetValue(labelName, out var gate))
            {
                _entered[labelName].TrySetResult();
                await gate.Task.WaitAsync(cancellationToken);
            }
        }
    }

    /// <summary>The deterioration scenario as point-in-time rows, one label per hour, all of one feature-set version.</summary>
    public static IReadOnlyList<TrainingSetRow> Synthetic(int rows, int seed, string featureSetVersion, float? constantLabel = null)
    {
        var data = DeteriorationScenario.Generate(rows, seed, features: 10);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        return Enumerable.Range(0, data.Rows).Select(r =>
        {
            var features = new Dictionary<string, double?>();
            for (var c = 0; c < data.Columns; c++)
            {
                var v = data.Row(r)[c];
                features[data.ColumnNames[c]] = float.IsNaN(v) ? null : v;
            }

            // A categorical code the fixture names as the subgroup feature.
            features["ward"] = r % 3;

            return new TrainingSetRow($"patient-{r % 97}", $"label-{r}", start.AddHours(r), constantLabel ?? data.Labels[r], featureSetVersion, features);
        }).ToArray();
    }
}
