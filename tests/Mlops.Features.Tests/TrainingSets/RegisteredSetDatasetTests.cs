using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Contracts.Features;
using Mlops.Features.Api;
using Mlops.Features.Storage;
using Mlops.Features.Tests.Api;
using Mlops.Features.TrainingSets;

namespace Mlops.Features.Tests.TrainingSets;

/// <summary>The whole "new model over a new code" path: code registered in ingestion, set registered here, backfilled, trained on.</summary>
[Collection(DefinitionSetsCollection.Name)]
public sealed class RegisteredSetDatasetTests(DefinitionSetsFixture service)
{
    [Fact]
    public async Task CodeRegisteredInIngestion_SetRegisteredHere_BackfilledFromADatasetVersion_AndTrainedOn()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var entity = $"glucose-{run}";
        var name = $"glycaemia-{run}";
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using var ingestion = new HttpClient { BaseAddress = service.Ingestion.BaseAddress };
        var schema = await ingestion.PutAsJsonAsync("api/ingestion/schemas/glucose", new { unit = "mmol/L", min = 0, max = 60 });
        Assert.True(schema.IsSuccessStatusCode, await schema.Content.ReadAsStringAsync());
        foreach (var (value, hoursAgo) in new[] { (5.5, 6), (8.0, 3) })
        {
            Assert.Equal(HttpStatusCode.Accepted, (await ingestion.PostAsJsonAsync("api/ingestion/observations", new
            {
                observationId = $"glucose-{hoursAgo}-{run}", entityId = entity, code = "glucose", value, unit = "mmol/L", eventTime = now.AddHours(-hoursAgo), sourceSystem = "lab",
            })).StatusCode);
        }

        var http = service.CreateClient();
        // The outcome is recorded before the snapshot: a dataset version's training set holds the labels known by then.
        var label = new LabelRecorded { LabelId = $"l-{run}", EntityId = entity, Name = $"hyperglycaemia-{run}", Value = 1, EventTime = now.AddMinutes(1) };
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("/api/features/labels", label)).StatusCode);
        var dataset = await ingestion.PostAsJsonAsync("api/ingestion/datasets", new { codes = new[] { "glucose" } });
        var datasetVersion = (await dataset.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString()!;

        var registered = await http.PutAsJsonAsync($"/api/features/definition-sets/{name}", DefinitionSetsApiTests.MetabolicSet());
        var version = (await registered.Content.ReadFromJsonAsync<DefinitionSetsApi.DefinitionSetEntry>(FeatureStore.Json))!.Version;
        var backfill = await http.PostAsJsonAsync("/api/features/backfill", new { datasetVersion, featureSet = name });
        Assert.Equal(HttpStatusCode.OK, backfill.StatusCode);
        Assert.Equal(version, (await backfill.Content.ReadFromJsonAsync<FeaturesApi.BackfillResult>(FeatureStore.Json))!.FeatureSetVersion);

        var online = await http.GetFromJsonAsync<StoredVector>($"/api/features/online/{entity}?set={name}", FeatureStore.Json);
        Assert.Equal(8.0, online!.Values["glucose_last_24h"]);
        Assert.Equal(2, online.Values["glucose_count_24h"]);

        var response = await http.PostAsJsonAsync("/api/features/training-sets", new { labelName = label.Name, datasetVersion, featureSetVersion = version });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single((await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize<TrainingRow>(l, FeatureStore.Json)!));
        Assert.Equal(version, row.FeatureSetVersion);
        Assert.Equal(6.75, row.Features["glucose_mean_24h"]!.Value, precision: 9);
        Assert.Null(row.Features["bmi_last_168h"]);
        Assert.Null(row.Features["glucose_per_bmi"]);
    }
}
