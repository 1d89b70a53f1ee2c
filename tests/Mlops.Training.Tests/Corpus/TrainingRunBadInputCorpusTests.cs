using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Testing;
using Mlops.Testing.Corpus;
using Xunit.Abstractions;

namespace Mlops.Training.Tests.Corpus;

/// <summary>
/// Generated bad requests at <c>POST /api/training/runs</c>: each must be a 4xx problem naming the field (for a
/// malformed body, the position and reason), and none may create a run.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class TrainingRunBadInputCorpusTests(TrainingAppFactory app, ITestOutputHelper output)
{
    const string Runs = "/api/training/runs";

    readonly string _model = PlatformInfrastructure.UniqueName("corpus-model");

    [Fact]
    public async Task BadRunRequests_AreRefusedNamingTheFieldAndStartNoRun()
    {
        using var http = app.CreateClient();
        var cases = Cases().ToList();
        var failures = new List<string>();
        foreach (var c in cases)
        {
            if (await Refusal.CheckAsync(http, HttpMethod.Post, Runs, c) is { } failure)
            {
                failures.Add(failure);
            }
        }

        output.WriteLine($"{cases.Count} cases, {cases.Count - failures.Count} refused naming the field, {failures.Count} failed");

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));
        Assert.True(cases.Count >= 200, $"the corpus has only {cases.Count} cases");
        var runs = await http.GetFromJsonAsync<JsonElement>($"{Runs}?model={_model}");
        Assert.Equal(0, runs.GetArrayLength());
    }

    JsonObject Valid() => new()
    {
        ["modelName"] = _model,
        ["modelVersion"] = "1.0.0",
        ["featureSetVersion"] = "fs-test-1",
        ["datasetVersion"] = "ds-test-1",
        ["labelName"] = "deterioration",
        ["algorithm"] = "gbdt",
        ["hyperparameters"] = new JsonObject { ["rounds"] = 20, ["learning_rate"] = 0.1 },
        ["searchSpace"] = new JsonArray(new JsonObject { ["name"] = "max_leaves", ["values"] = new JsonArray(4, 8) }),
        ["searchTrials"] = 2,
        ["seed"] = 7,
        ["requestedBy"] = "corpus",
        ["subgroupFeature"] = "age_band",
        ["features"] = new JsonArray("heart_rate_*"),
        ["compareWithVersion"] = "0.9.0",
        ["labelsFrom"] = "2026-01-01T00:00:00Z",
    };

    IEnumerable<BadInput> Cases()
    {
        var json = new BadJson(Valid);
        foreach (var field in new[] { "modelName", "featureSetVersion", "datasetVersion", "labelName", "requestedBy" })
        {
            foreach (var c in json.Field(field, FieldKind.Identifier))
            {
                yield return c;
            }
        }

        foreach (var c in json.Field("labelsFrom", FieldKind.Time, required: false))
        {
            yield return c;
        }

        var future = Valid();
        future["labelsFrom"] = DateTimeOffset.UtcNow.AddDays(1).ToString("O");
        yield return BadInput.Of("labelsFrom in the future", "labelsFrom", future.ToJsonString());

        foreach (var field in new[] { "modelVersion", "subgroupFeature", "compareWithVersion" })
        {
            foreach (var c in json.Field(field, FieldKind.Identifier, required: false).Where(c => !c.Name.EndsWith(" empty", StringComparison.Ordinal) && !c.Name.EndsWith(" whitespace", StringComparison.Ordinal)))
            {
                yield return c;
            }
        }

        foreach (var c in json.Field("hyperparameters", FieldKind.Object, required: false)
            .Concat(json.Field("searchSpace", FieldKind.Array, required: false))
            .Concat(json.Field("features", FieldKind.Array, required: false))
            .Concat(json.Field("searchTrials", FieldKind.Number, required: false))
            .Concat(json.Field("seed", FieldKind.Number, required: false)))
        {
            yield return c;
        }

        foreach (var bad in new[] { "", "xgboost", "GBDT ", "gbdt\u0000", "../gbdt" })
        {
            yield return BadJson.Case($"algorithm '{bad}'", "algorithm", json.With("algorithm", bad));
        }

        yield return BadJson.Case("algorithm missing", "algorithm", json.Without("algorithm"));
        yield return BadJson.Case("algorithm number", "algorithm", json.With("algorithm", 1));
        yield return BadJson.Case("hyperparameter unknown", "hyperparameters", json.With("hyperparameters", new JsonObject { ["depth_of_forest"] = 3 }));
        yield return BadJson.Case("hyperparameter text", "hyperparameters", json.With("hyperparameters", new JsonObject { ["rounds"] = "many" }));
        yield return BadJson.Case("hyperparameter NaN", "hyperparameters", json.With("hyperparameters", new JsonObject { ["rounds"] = "NaN" }));
        yield return BadJson.Case("hyperparameter 1e400", "hyperparameters", json.WithRaw("hyperparameters", "{\"rounds\":1e400}"));
        yield return BadJson.Case("hyperparameter name with NUL", "hyperparameters", json.With("hyperparameters", new JsonObject { ["rou\u0000nds"] = 3 }));
        yield return BadJson.Case("hyperparameter null", "hyperparameters", json.With("hyperparameters", new JsonObject { ["rounds"] = null }));
        yield return BadJson.Case("searchSpace entry without name", "searchSpace", json.With("searchSpace", new JsonArray(new JsonObject { ["values"] = new JsonArray(1) })));
        yield return BadJson.Case("searchSpace entry null", "searchSpace", json.With("searchSpace", new JsonArray((JsonNode?)null)));
        yield return BadJson.Case("searchSpace low > high", "searchSpace", json.With("searchSpace", new JsonArray(new JsonObject { ["name"] = "l2", ["low"] = 5, ["high"] = 1 })));
        yield return BadJson.Case("searchSpace log with low 0", "searchSpace", json.With("searchSpace", new JsonArray(new JsonObject { ["name"] = "l2", ["low"] = 0, ["high"] = 1, ["log"] = true })));
        yield return BadJson.Case("searchSpace no values no range", "searchSpace", json.With("searchSpace", new JsonArray(new JsonObject { ["name"] = "l2" })));
        yield return BadJson.Case("searchSpace unknown parameter", "hyperparameters", json.With("searchSpace", new JsonArray(new JsonObject { ["name"] = "depth_of_forest", ["values"] = new JsonArray(1) })));
        yield return BadJson.Case("searchSpace value 1e400", "searchSpace", json.WithRaw("searchSpace", "[{\"name\":\"l2\",\"values\":[1e400]}]"));
        yield return BadJson.Case("searchSpace name with U+001B", "searchSpace", json.With("searchSpace", new JsonArray(new JsonObject { ["name"] = "l\u001b2", ["values"] = new JsonArray(1) })));
        yield return BadJson.Case("searchTrials negative", "searchTrials", json.With("searchTrials", -1));
        yield return BadJson.Case("searchTrials two billion", "searchTrials", json.With("searchTrials", 2_000_000_000));
        yield return BadJson.Case("searchTrials over int", "searchTrials", json.With("searchTrials", 3_000_000_000));
        yield return BadJson.Case("searchTrials 1.5", "searchTrials", json.With("searchTrials", 1.5));
        yield return BadJson.Case("seed over int", "seed", json.With("seed", 3_000_000_000));
        yield return BadJson.Case("features with empty name", "features", json.With("features", new JsonArray("")));
        yield return BadJson.Case("features with NUL", "features", json.With("features", new JsonArray("heart\u0000rate")));
        yield return BadJson.Case("features with lone surrogate", "features", json.WithRaw("features", "[\"heart\\ud800\"]"));
        yield return BadJson.Case("features with number", "features", json.With("features", new JsonArray(88)));
        yield return BadJson.Case("features with null", "features", json.With("features", new JsonArray((JsonNode?)null)));
        yield return BadJson.Case("features 201-character name", "features", json.With("features", new JsonArray(new string('f', 201))));
        foreach (var c in json.Bodies())
        {
            yield return c;
        }
    }
}
