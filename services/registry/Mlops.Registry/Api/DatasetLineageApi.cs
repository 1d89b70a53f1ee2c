using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Registry.Application;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Registry.Api;

/// <summary>
/// <c>GET /api/registry/datasets/{datasetVersion}/models</c>: every model version trained from a dataset version, as
/// each registration records it — the reverse of a version's lineage (docs/lineage.md).
/// </summary>
public static class DatasetLineageApi
{
    public static IEndpointRouteBuilder MapDatasetLineageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/registry/datasets/{datasetVersion}/models", ListTrainedAsync).WithTags("Lineage");
        return app;
    }

    static async Task<Results<Ok<DatasetModels>, ValidationProblem>> ListTrainedAsync(string datasetVersion, ModelRegistry registry, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!InputText.CheckIdentifier(errors, "datasetVersion", datasetVersion))
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid");
        }

        // Models are few and their states are one document each: read them all rather than index registrations.
        var trained = new List<TrainedVersion>();
        foreach (var model in await registry.ListAsync(ct))
        {
            if (await registry.GetAsync(model.Name, cancellationToken: ct) is not { } state)
            {
                continue;
            }

            foreach (var (version, entry) in state.Versions)
            {
                var r = entry.Registration;
                if (string.Equals(r.DatasetVersion, datasetVersion, StringComparison.Ordinal))
                {
                    trained.Add(new TrainedVersion(state.Name, version, entry.Stage, [.. state.AliasesOf(version)], r.ArtifactSha256, r.TrainingRunId,
                        r.FeatureSetVersion, r.CodeVersion, entry.RegisteredAt));
                }
            }
        }

        return TypedResults.Ok(new DatasetModels(datasetVersion, trained));
    }
}

/// <summary>The model versions a dataset version trained.</summary>
public sealed record DatasetModels(string DatasetVersion, IReadOnlyList<TrainedVersion> Models);

/// <summary>One model version and what else it was made from.</summary>
public sealed record TrainedVersion(
    string ModelName, string Version, string Stage, IReadOnlyList<string> Aliases, string ArtifactSha256, string TrainingRunId, string FeatureSetVersion,
    string CodeVersion, DateTimeOffset RegisteredAt);
