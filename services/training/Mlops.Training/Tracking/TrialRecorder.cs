using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Mlops.Contracts.Training;
using Mlops.Training.Algorithms.Search;

namespace Mlops.Training.Tracking;

/// <summary>Records every search trial as a child run of the pipeline run (ids derived from parent and trial, so a redelivered step overwrites nothing new).</summary>
internal sealed class TrialRecorder(RunStore runs, StartTrainingRun request, string codeVersion) : ITrialObserver
{
    readonly Dictionary<int, Guid> _ids = [];

    public void TrialStarted(Trial trial)
    {
        var id = ChildId(request.RunId, trial.Index);
        _ids[trial.Index] = id;
        runs.CreateAsync(new RunRecord
        {
            RunId = id,
            ParentRunId = request.RunId,
            Name = $"trial-{trial.Index}",
            ModelName = request.ModelName,
            Algorithm = request.Algorithm,
            Status = RunStatus.Running,
            Parameters = new JsonObject(trial.Parameters.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            Metrics = new Dictionary<string, double>(),
            DatasetVersion = request.DatasetVersion,
            FeatureSetVersion = request.FeatureSetVersion,
            CodeVersion = codeVersion,
            Seed = request.Seed,
            Machine = Environment.MachineName,
            RequestedBy = request.RequestedBy,
            StartedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None).GetAwaiter().GetResult();
    }

    public void TrialCompleted(TrialResult result)
    {
        var id = _ids[result.Trial.Index];
        runs.AddMetricsAsync(id, result.Metrics, CancellationToken.None).GetAwaiter().GetResult();
        runs.FinishAsync(id, RunStatus.Completed, null, null, CancellationToken.None).GetAwaiter().GetResult();
    }

    static Guid ChildId(Guid parent, int index)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{parent:N}/trial/{index}"));
        return new Guid(hash.AsSpan(0, 16));
    }
}
