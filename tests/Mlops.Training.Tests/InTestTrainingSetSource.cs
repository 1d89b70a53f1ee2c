using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Data;

namespace Mlops.Training.Tests;

/// <summary>
/// Training sets by label name, fed by the test in place of the features service's NDJSON stream. A label can be
/// gated: its stream stops after the first row until the test opens the gate (or the run is cancelled).
/// </summary>
public sealed class InTestTrainingSetSource : ITrainingSetSource, IFeatureCatalog
{
    readonly ConcurrentDictionary<string, IReadOnlyList<TrainingSetRow>> _sets = new();
    readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    readonly ConcurrentDictionary<string, TaskCompletionSource> _entered = new();
    readonly ConcurrentDictionary<string, int> _unreachable = new();

    public void Add(string labelName, IReadOnlyList<TrainingSetRow> rows) => _sets[labelName] = rows;

    /// <summary>Holds the label's stream after its first row; the returned task completes when a step reached the gate.</summary>
    public Task Gate(string labelName)
    {
        _gates[labelName] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _entered.GetOrAdd(labelName, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
    }

    public void Open(string labelName) => _gates[labelName].TrySetResult();

    /// <summary>The next <paramref name="reads"/> reads of the label fail as when the features service is restarting.</summary>
    public void Unreachable(string labelName, int reads) => _unreachable[labelName] = reads;

    /// <summary>Reads of the label refused so far by <see cref="Unreachable"/>.</summary>
    public int RefusedReads { get; private set; }

    /// <summary>The catalogue: every feature of every set added so far.</summary>
    public Task<IReadOnlyList<string>?> FeatureNamesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>?>(_sets.Values.SelectMany(rows => rows.Count > 0 ? rows[0].Features.Keys : []).Distinct().ToArray());

    /// <summary>The last query each label was opened with.</summary>
    public ConcurrentDictionary<string, TrainingSetQuery> Queries { get; } = new();

    public Task<TrainingSetStream> OpenAsync(TrainingSetQuery query, CancellationToken cancellationToken)
    {
        if (_unreachable.TryGetValue(query.LabelName, out var left) && left > 0)
        {
            _unreachable[query.LabelName] = left - 1;
            RefusedReads++;
            throw new HttpRequestException("Connection refused (features)", new System.Net.Sockets.SocketException(111));
        }

        Queries[query.LabelName] = query;
        return Task.FromResult(new TrainingSetStream(new TrainingSetOrigin("in-test", query.DatasetVersion), ReadAsync(query.LabelName, cancellationToken)));
    }

    async IAsyncEnumerable<TrainingSetRow> ReadAsync(string labelName, [EnumeratorCancellation] CancellationToken cancellationToken)
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

    /// <summary>
    /// The deterioration scenario as point-in-time rows, one label per hour, all of one feature-set version.
    /// <paramref name="alwaysMissing"/> adds features no row has a value for (a 1-hour slope from hourly vitals);
    /// <paramref name="randomLabels"/> replaces the labels by coin flips unrelated to the features.
    /// </summary>
    public static IReadOnlyList<TrainingSetRow> Synthetic(
        int rows, int seed, string featureSetVersion, float? constantLabel = null, IReadOnlyList<string>? alwaysMissing = null, bool randomLabels = false)
    {
        var data = DeteriorationScenario.Generate(rows, seed, features: 10);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var coin = new Random(seed + 1);
        return Enumerable.Range(0, data.Rows).Select(r =>
        {
            var features = new Dictionary<string, double?>();
            for (var c = 0; c < data.Columns; c++)
            {
                var v = data.Row(r)[c];
                features[data.ColumnNames[c]] = float.IsNaN(v) ? null : v;
            }

            // As the features service does, the NEWS2 points of the latest vitals are a feature too.
            features["news2"] = Quality.EarlyWarningRule.Points(features);
            // A categorical code the tests name as the subgroup feature.
            features["ward"] = r % 3;
            foreach (var name in alwaysMissing ?? [])
            {
                features[name] = null;
            }

            var label = constantLabel ?? (randomLabels ? coin.Next(4) == 0 ? 1 : 0 : data.Labels[r]);
            return new TrainingSetRow($"patient-{r % 97}", $"label-{r}", start.AddHours(r), label, featureSetVersion, features);
        }).ToArray();
    }
}
