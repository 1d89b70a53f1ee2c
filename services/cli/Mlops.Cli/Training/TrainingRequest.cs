using System.Text.Json.Nodes;
using Mlops.Cli.Core.Gateway;

namespace Mlops.Cli.Training;

/// <summary>Builds a <c>POST /api/training/runs</c> body, filling the versions a user should not have to look up.</summary>
public static class TrainingRequest
{
    /// <summary>
    /// The request; without a feature-set version the feature service's current one is used, without a dataset version
    /// a new snapshot of the ingested observations in <paramref name="scope"/> (all of them when null) is taken, so the run
    /// records exactly what it could train on.
    /// </summary>
    public static async Task<JsonObject> BuildAsync(
        GatewayClient client, string model, string algorithm, int members, IReadOnlyList<string> features, string label,
        string? datasetVersion, string? featureSetVersion, int seed, string by, IReadOnlyDictionary<string, double> parameters, CancellationToken ct,
        DatasetScope? scope = null)
    {
        featureSetVersion ??= (await client.GetFeatureDefinitionsAsync(ct))?["version"]?.GetValue<string>()
            ?? throw new InvalidOperationException("the feature service did not report its feature-set version");
        datasetVersion ??= (await client.CreateDatasetVersionAsync(by, $"snapshot for training {model}", scope ?? DatasetScope.All, ct))?["version"]?.GetValue<string>()
            ?? throw new InvalidOperationException("the ingestion service did not return a dataset version");
        var hyperparameters = new JsonObject();
        foreach (var (k, v) in parameters)
        {
            hyperparameters[k] = v;
        }

        if (algorithm == "bagged_gbdt" && !parameters.ContainsKey("members"))
        {
            hyperparameters["members"] = members;
        }

        var body = new JsonObject
        {
            ["modelName"] = model,
            ["featureSetVersion"] = featureSetVersion,
            ["datasetVersion"] = datasetVersion,
            ["labelName"] = label,
            ["algorithm"] = algorithm,
            ["hyperparameters"] = hyperparameters,
            ["seed"] = seed,
            ["requestedBy"] = by,
        };
        if (features.Count > 0)
        {
            body["features"] = new JsonArray(features.Select(f => (JsonNode)JsonValue.Create(f)).ToArray());
        }

        return body;
    }
}
