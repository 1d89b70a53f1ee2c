using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Testing.Corpus;
using Xunit.Abstractions;

namespace Mlops.Inference.Tests.Corpus;

/// <summary>
/// Generated bad requests at the inference service's own REST routes and at the Open Inference Protocol v2 REST
/// routes: each must be a 4xx naming the field (a problem details body; on <c>/v2</c> also the protocol's
/// <c>{"error": …}</c>), for a malformed body the position and reason, and none may be answered with a prediction.
/// </summary>
public sealed class InferenceBadInputCorpusTests(ITestOutputHelper output) : IAsyncLifetime
{
    readonly InferenceAppFactory _factory = new();
    HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _factory.ReadyClientAsync();

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task BadRequests_AtTheRestAndOpenInferenceRoutes_AreRefusedNamingTheField()
    {
        var cases = RestCases().Concat(OipCases()).ToList();
        var failures = new List<string>();
        foreach (var (path, c) in cases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(c.Bytes) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(c.ContentType);
            using var response = await _client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            var failure = path.StartsWith("/v2/", StringComparison.Ordinal) && mediaType == "application/json"
                ? JudgeOip((int)response.StatusCode, text, c)
                : Refusal.Judge((int)response.StatusCode, mediaType, text, c);
            if (failure is not null)
            {
                failures.Add($"{path} / {failure}");
            }
        }

        output.WriteLine($"{cases.Count} cases, {cases.Count - failures.Count} refused naming the field, {failures.Count} failed");

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));
        Assert.True(cases.Count >= 200, $"the corpus has only {cases.Count} cases");
    }

    // The protocol's own error body: {"error": "…"} with a 4xx, the message naming the field.
    static string? JudgeOip(int status, string text, BadInput c)
    {
        if (status is < 400 or >= 500)
        {
            return $"{c.Name}: status {status}: {Refusal.Cut(text)}";
        }

        var error = JsonDocument.Parse(text).RootElement.TryGetProperty("error", out var e) ? e.GetString() ?? "" : "";
        var named = c.Field == "$"
            ? error.Length > 0 && (c.Mentions is null || error.Contains(c.Mentions, StringComparison.OrdinalIgnoreCase))
            : Refusal.NamesInText(c.Field, [error]);
        return named ? null : $"{c.Name}: error does not name '{c.Field}': {Refusal.Cut(text)}";
    }

    static JsonObject Vitals() => new() { ["heart_rate"] = 118, ["respiratory_rate"] = 26, ["spo2"] = 90, ["temperature"] = 38.9, ["systolic_bp"] = 92 };

    static JsonObject Inline() => new() { ["entityId"] = "corpus-patient", ["features"] = Vitals() };

    static JsonObject Batch() => new() { ["items"] = new JsonArray(Inline(), Inline()) };

    static JsonObject Infer() => new()
    {
        ["id"] = "corpus-1",
        ["inputs"] = new JsonArray(new JsonObject
        {
            ["name"] = "features", ["shape"] = new JsonArray(1, 5), ["datatype"] = "FP32", ["data"] = new JsonArray(118, 26, 90, 38.9, 92),
        }),
        ["outputs"] = new JsonArray(new JsonObject { ["name"] = "probability" }),
    };

    static IEnumerable<(string Path, BadInput Case)> RestCases()
    {
        var inline = new BadJson(Inline);
        foreach (var route in new[] { "/api/inference/predict", "/api/inference/models/deterioration/predict" })
        {
            foreach (var c in inline.Field("entityId", FieldKind.Identifier, required: false).Where(c => !c.Name.EndsWith(" empty", StringComparison.Ordinal) && !c.Name.EndsWith(" whitespace", StringComparison.Ordinal))
                .Concat(inline.Field("features", FieldKind.Object)))
            {
                yield return (route, c);
            }

            foreach (var c in inline.Field("features.heart_rate", FieldKind.Number, required: false))
            {
                yield return (route, c);
            }

            yield return (route, BadJson.Case("features empty", "heart_rate", inline.With("features", new JsonObject())));
            yield return (route, BadJson.Case("feature missing", "spo2", inline.Without("features.spo2")));
            yield return (route, BadJson.Case("feature name with NUL", "features", inline.With("features.he\u0000art", 80)));
            yield return (route, BadJson.Case("feature 1e308", "heart_rate", inline.With("features.heart_rate", 1e308)));
            foreach (var c in inline.Bodies().Take(route.Contains("models", StringComparison.Ordinal) ? 12 : 100))
            {
                yield return (route, c);
            }
        }

        var batch = new BadJson(Batch);
        foreach (var c in batch.Field("items", FieldKind.Array))
        {
            yield return ("/api/inference/predict/batch", c);
        }

        yield return ("/api/inference/predict/batch", BadJson.Case("items empty", "items", batch.With("items", new JsonArray())));
        yield return ("/api/inference/predict/batch", BadJson.Case("item null", "items", batch.With("items", new JsonArray((JsonNode?)null))));
        yield return ("/api/inference/predict/batch", BadJson.Case("item number", "items", batch.With("items", new JsonArray(88))));
        yield return ("/api/inference/predict/batch", BadJson.Case("item without features", "items", batch.With("items", new JsonArray(new JsonObject { ["entityId"] = "p" }))));
        yield return ("/api/inference/predict/batch", BadJson.Case("item features text", "items", batch.With("items", new JsonArray(new JsonObject { ["features"] = "hr=1" }))));
        yield return ("/api/inference/predict/batch", BadJson.Case("item entityId with NUL", "items", batch.With("items", new JsonArray(new JsonObject { ["entityId"] = "p\u0000", ["features"] = Vitals() }))));
        yield return ("/api/inference/predict/batch", BadJson.Case("10,001 items", "items", batch.With("items", new JsonArray(Enumerable.Range(0, 10_001).Select(_ => (JsonNode?)Inline()).ToArray()))));
        foreach (var c in batch.Bodies().Take(12))
        {
            yield return ("/api/inference/predict/batch", c);
        }

        foreach (var (entity, label) in new[] { ("p%01x", "U+0001"), ("p%1Bx", "ESC"), (new string('e', 201), "201 characters"), ("p%7Fx", "DEL") })
        {
            yield return ($"/api/inference/entities/{entity}/predict", BadInput.Of($"entityId route with {label}", "entityId", ""));
            yield return ($"/api/inference/models/deterioration/entities/{entity}/predict", BadInput.Of($"named entityId route with {label}", "entityId", ""));
        }

        // POST /api/inference/model is off as shipped (404 until Inference:ModelFilesDirectory is set; LoadModelByPathTests
        // covers the confined loader), so the corpus has no cases for it.
    }

    static IEnumerable<(string Path, BadInput Case)> OipCases()
    {
        const string infer = "/v2/models/deterioration/infer";
        var json = new BadJson(Infer);
        foreach (var c in json.Field("id", FieldKind.Identifier, required: false).Where(c => !c.Name.EndsWith(" empty", StringComparison.Ordinal) && !c.Name.EndsWith(" whitespace", StringComparison.Ordinal))
            .Concat(json.Field("inputs", FieldKind.Array))
            .Concat(json.Field("outputs", FieldKind.Array, required: false)))
        {
            yield return (infer, c);
        }

        JsonObject Input() => Infer()["inputs"]![0]!.DeepClone().AsObject();
        JsonNode Inputs(Action<JsonObject> change)
        {
            var input = Input();
            change(input);
            return new JsonArray(input.DeepClone());
        }

        yield return (infer, BadJson.Case("inputs empty", "inputs", json.With("inputs", new JsonArray())));
        yield return (infer, BadJson.Case("input null", "inputs", json.With("inputs", new JsonArray((JsonNode?)null))));
        yield return (infer, BadJson.Case("input name unknown", "name", json.With("inputs", Inputs(i => i["name"] = "vitals"))));
        yield return (infer, BadJson.Case("input name missing", "name", json.With("inputs", Inputs(i => i.Remove("name")))));
        yield return (infer, BadJson.Case("input name with NUL", "name", json.With("inputs", Inputs(i => i["name"] = "feat\u0000ures"))));
        yield return (infer, BadJson.Case("datatype INT64", "datatype", json.With("inputs", Inputs(i => i["datatype"] = "INT64"))));
        yield return (infer, BadJson.Case("datatype BYTES", "datatype", json.With("inputs", Inputs(i => i["datatype"] = "BYTES"))));
        yield return (infer, BadJson.Case("datatype missing", "datatype", json.With("inputs", Inputs(i => i.Remove("datatype")))));
        yield return (infer, BadJson.Case("datatype number", "datatype", json.With("inputs", Inputs(i => i["datatype"] = 32))));
        yield return (infer, BadJson.Case("datatype lowercase", "datatype", json.With("inputs", Inputs(i => i["datatype"] = "fp32"))));
        foreach (var (shape, label) in new (JsonArray, string)[]
        {
            (new JsonArray(1, 4), "too few columns"), (new JsonArray(2, 5), "more rows than data"), (new JsonArray(5), "one dimension"),
            (new JsonArray(1, 5, 1), "three dimensions"), (new JsonArray(-1, 5), "negative"), (new JsonArray(0, 5), "zero rows"),
            (new JsonArray(), "empty"), (new JsonArray(1_000_000_000, 5), "a billion rows"),
        })
        {
            yield return (infer, BadJson.Case($"shape {label}", "shape", json.With("inputs", Inputs(i => i["shape"] = shape))));
        }

        yield return (infer, BadJson.Case("shape missing", "shape", json.With("inputs", Inputs(i => i.Remove("shape")))));
        yield return (infer, BadJson.Case("shape over long", "shape", json.WithRaw("inputs", "[{\"name\":\"features\",\"shape\":[1e30,5],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5]}]")));
        foreach (var (data, label) in new (JsonNode?, string)[]
        {
            (new JsonArray(118, 26, 90, 38.9), "four values"), (new JsonArray(118, 26, 90, 38.9, 92, 1), "six values"), (new JsonArray("a", 26, 90, 38.9, 92), "a string"),
            (new JsonArray(true, 26, 90, 38.9, 92), "a boolean"), (new JsonArray(null, 26, 90, 38.9, 92), "a null"), ("118", "a string instead of a list"),
            (null, "null"), (new JsonObject { ["a"] = 1 }, "an object"),
            (new JsonArray(), "empty"),
        })
        {
            yield return (infer, BadJson.Case($"data {label}", "data", json.With("inputs", Inputs(i => i["data"] = data))));
        }

        // Nested data must match the shape row by row, even when the value count would (KServe v2: row-major).
        yield return (infer, BadJson.Case("data ragged rows", "data", json.WithRaw("inputs", "[{\"name\":\"features\",\"shape\":[1,5],\"datatype\":\"FP32\",\"data\":[[118,26],[90,38.9,92]]}]")));
        yield return (infer, BadJson.Case("data ragged two rows", "data", json.WithRaw("inputs", "[{\"name\":\"features\",\"shape\":[2,5],\"datatype\":\"FP32\",\"data\":[[118,26,90,38.9],[92,118,26,90,38.9,92]]}]")));
        yield return (infer, BadJson.Case("data rows mixed with values", "data", json.WithRaw("inputs", "[{\"name\":\"features\",\"shape\":[2,5],\"datatype\":\"FP32\",\"data\":[[118,26,90,38.9,92],118,26,90,38.9,92]}]")));
        yield return (infer, BadJson.Case("data nested three levels", "data", json.WithRaw("inputs", "[{\"name\":\"features\",\"shape\":[1,5],\"datatype\":\"FP32\",\"data\":[[[118,26,90,38.9,92]]]}]")));
        yield return (infer, BadJson.Case("data 1e400", "data", json.WithRaw("inputs", "[{\"name\":\"features\",\"shape\":[1,5],\"datatype\":\"FP32\",\"data\":[1e400,26,90,38.9,92]}]")));
        yield return (infer, BadJson.Case("data missing", "data", json.With("inputs", Inputs(i => i.Remove("data")))));
        yield return (infer, BadJson.Case("data nested 1000 levels", "data", json.WithRaw("inputs", "[{\"name\":\"features\",\"shape\":[1,5],\"datatype\":\"FP32\",\"data\":" + BadJson.Deep(1000) + "}]")));
        yield return (infer, BadJson.Case("two inputs", "inputs", json.With("inputs", new JsonArray(Input(), Input()))));
        yield return (infer, BadJson.Case("output unknown", "outputs", json.With("outputs", new JsonArray(new JsonObject { ["name"] = "logits" }))));
        yield return (infer, BadJson.Case("output name with NUL", "outputs", json.With("outputs", new JsonArray(new JsonObject { ["name"] = "prob\u0000" }))));
        yield return (infer, BadJson.Case("output null", "outputs", json.With("outputs", new JsonArray((JsonNode?)null))));
        foreach (var c in json.Bodies())
        {
            yield return (infer, c);
        }

        foreach (var (name, label) in new[] { ("bad%1Bname", "ESC"), (new string('m', 201), "201 characters") })
        {
            yield return ($"/v2/models/{name}/infer", BadInput.Of($"model name with {label}", "name", json.Valid()));
        }
    }
}
