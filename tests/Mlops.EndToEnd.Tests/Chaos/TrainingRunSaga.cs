using System.Net;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Core.Ward;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Chaos;

/// <summary>
/// A training run started before a fault (the training pipeline saga: training set from features, fit, ONNX export,
/// registration with the registry over RabbitMQ), checked after it: the run completed and exactly one model version
/// records it. The training data (a small synthetic ward with outcomes) is loaded once per platform.
/// </summary>
public sealed class TrainingRunSaga
{
    const string ModelName = "chaos-saga";
    readonly SemaphoreSlim _seeding = new(1, 1);
    Cli.Core.Ward.Ward? _ward;

    /// <summary>Starts a run and returns the check that it finished.</summary>
    public async Task<Func<Task<string>>> StartAsync(GatewayClient client)
    {
        var ward = await WardAsync(client);
        var featureSet = (await client.GetFeatureDefinitionsAsync(CancellationToken.None))?["version"]?.GetValue<string>();
        var dataset = (await client.CreateDatasetVersionAsync("chaos", "chaos test snapshot", new DatasetScope([ward.Options.SourceSystem]), CancellationToken.None))?["version"]?.GetValue<string>();
        var runId = await client.StartRunAsync(new JsonObject
        {
            ["modelName"] = ModelName,
            ["featureSetVersion"] = featureSet,
            ["datasetVersion"] = dataset,
            ["labelName"] = ward.Options.LabelName,
            ["algorithm"] = "logistic_regression",
            ["seed"] = 7,
            ["requestedBy"] = "chaos",
        }, CancellationToken.None);

        return async () =>
        {
            JsonNode? run = null;
            await Eventually.WaitUntilAsync(async () =>
            {
                try
                {
                    run = (await client.GetRunAsync(runId, CancellationToken.None))?["run"];
                }
                catch (Exception ex) when (ex is HttpRequestException or ApiProblem or TaskCanceledException)
                {
                    return false;
                }

                return run?["status"]?.GetValue<string>() is "Completed" or "Failed" or "Cancelled";
            }, $"training run {runId} finishes", TimeSpan.FromMinutes(3));
            Assert.True(run!["status"]!.GetValue<string>() == "Completed", $"run {runId} is {run["status"]} at step {run["failedStep"]}: {run["failureReason"]}");
            var version = await JourneyWaits.RegisteredVersionAsync(client, ModelName, runId, TimeSpan.FromMinutes(2), CancellationToken.None);
            Assert.True(version is not null, $"no version of {ModelName} from run {runId} in the registry");
            var versions = (await client.GetModelAsync(ModelName, CancellationToken.None))?["versions"]?.AsObject()
                .Count(v => v.Value?["registration"]?["trainingRunId"]?.GetValue<string>() == runId.ToString()) ?? 0;
            Assert.True(versions == 1, $"run {runId} registered {versions} versions of {ModelName}");
            return $"run completed, version {version} registered once";
        };
    }

    async Task<Cli.Core.Ward.Ward> WardAsync(GatewayClient client)
    {
        await _seeding.WaitAsync();
        try
        {
            if (_ward is not null)
            {
                return _ward;
            }

            var run = Guid.NewGuid().ToString("N")[..8];
            var ward = WardGenerator.Generate(new WardOptions
            {
                Patients = 150,
                Seed = 20261202,
                HistoryHours = 4,
                AssessmentSpreadHours = 3,
                EntityPrefix = $"chaos-train-{run}-",
                LabelName = $"{WardOptions.DefaultLabelName}_chaos_{run}",
                SourceSystem = $"chaos-train-{run}",
            });
            var history = await Uploads.ObservationsAsync(client, ward.Observations.Select((o, i) => ($"#{i}", ObservationCsv.ToJson(o))).ToList(), 2000, null, CancellationToken.None);
            Assert.True(history.Refused.Count == 0, $"{history.Refused.Count} refused");
            var (_, _, refused) = await Uploads.OutcomesAsync(client, ward.Outcomes.Select(o => (o.EntityId, OutcomeCsv.ToJson(o))).ToList(), null, CancellationToken.None);
            Assert.True(refused.Count == 0, $"{refused.Count} outcomes refused");
            Assert.Equal(10, await JourneyWaits.FeaturesCaughtUpAsync(client, ward, 10, TimeSpan.FromMinutes(3), CancellationToken.None));
            return _ward = ward;
        }
        finally
        {
            _seeding.Release();
        }
    }
}
