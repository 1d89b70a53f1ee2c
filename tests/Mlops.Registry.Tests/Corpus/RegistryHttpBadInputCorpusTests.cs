using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Contracts.Registry;
using Mlops.Testing.Corpus;
using Xunit.Abstractions;

namespace Mlops.Registry.Tests.Corpus;

/// <summary>
/// Generated bad requests at every POST/PUT route of the registry's HTTP API: each must be a 4xx problem naming the
/// field (for a malformed body, the position and reason), and none may append anything to a model's event stream.
/// </summary>
public sealed class RegistryHttpBadInputCorpusTests(ITestOutputHelper output) : IAsyncLifetime
{
    RegistryHost _host = null!;
    string _model = "";
    string _sha = "";

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        _model = Models.NewName();
        await Models.RegisterAsync(_host, _model, "1.0.0", Models.Metrics(0.80));
        await Models.RegisterAsync(_host, _model, "1.1.0", Models.Metrics(0.82));
        _sha = await Models.UploadAsync(_host, "onnx bytes of the corpus");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task BadRequests_AtEveryWriteRoute_AreRefusedNamingTheFieldAndAppendNothing()
    {
        var before = (await _host.Registry.HistoryAsync(_model)).Count;
        var cases = Cases().ToList();
        var failures = new List<string>();
        foreach (var (method, path, c) in cases)
        {
            if (await Refusal.CheckAsync(_host.Client, method, path, c) is { } failure)
            {
                failures.Add($"{method} {path[(path.IndexOf(_model, StringComparison.Ordinal) is var at and >= 0 ? at + _model.Length : 0)..]} / {failure}");
            }
        }

        output.WriteLine($"{cases.Count} cases, {cases.Count - failures.Count} refused naming the field, {failures.Count} failed");

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));
        Assert.True(cases.Count >= 200, $"the corpus has only {cases.Count} cases");
        Assert.Equal(before, (await _host.Registry.HistoryAsync(_model)).Count);
        Assert.Empty(await _host.Registry.HistoryAsync(_model + "-x"));
    }

    JsonObject Registration()
    {
        var body = JsonSerializer.SerializeToNode(Models.Registration(_model, "2.0.0", _sha, Models.Metrics(0.83)), Json.Options)!.AsObject();
        body.Remove("modelName");
        body["description"] = "corpus registration";
        return body;
    }

    static JsonObject Promotion() => new() { ["version"] = "1.1.0", ["alias"] = "champion", ["requestedBy"] = "ops-alice", ["reason"] = "weekly retrain" };

    static JsonObject Decision() => new() { ["by"] = "lead-carol", ["reason"] = "reviewed" };

    static JsonObject RollBack() => new() { ["alias"] = "champion", ["requestedBy"] = "ops-alice", ["reason"] = "alert storm" };

    static JsonObject Policy() => new()
    {
        ["policy"] = JsonSerializer.SerializeToNode(new PromotionPolicy { MinImprovementOverChampion = 0.01, ChallengerTrafficPercent = 20 }, Json.Options),
        ["changedBy"] = "governance-bob",
        ["reason"] = "clinical safety board rules",
    };

    IEnumerable<(HttpMethod Method, string Path, BadInput Case)> Cases()
    {
        var models = $"/api/registry/models/{_model}";
        var register = new BadJson(Registration);
        foreach (var field in new[] { "version", "artifactSha256", "datasetVersion", "featureSetVersion", "trainingRunId", "codeVersion", "registeredBy" })
        {
            foreach (var c in register.Field(field, FieldKind.Identifier))
            {
                yield return (HttpMethod.Post, models + "/versions", c);
            }
        }

        foreach (var field in new[] { "intendedUse", "limitations", "description" })
        {
            foreach (var c in register.Field(field, FieldKind.FreeText, required: false))
            {
                yield return (HttpMethod.Post, models + "/versions", c);
            }
        }

        foreach (var field in new[] { "signature", "metrics" })
        {
            foreach (var c in register.Field(field, FieldKind.Object))
            {
                yield return (HttpMethod.Post, models + "/versions", c);
            }
        }

        foreach (var c in register.Field("metrics.overall", FieldKind.Object))
        {
            yield return (HttpMethod.Post, models + "/versions", c);
        }

        foreach (var c in register.Field("signature.inputs", FieldKind.Array))
        {
            yield return (HttpMethod.Post, models + "/versions", c);
        }

        yield return (HttpMethod.Post, models + "/versions", BadJson.Case("version not semantic", "version", register.With("version", "two")));
        yield return (HttpMethod.Post, models + "/versions", BadJson.Case("artifactSha256 not hex", "artifactSha256", register.With("artifactSha256", new string('z', 64))));
        yield return (HttpMethod.Post, models + "/versions", BadJson.Case("artifactSha256 unknown artifact", "artifactSha256", register.With("artifactSha256", new string('0', 64))));
        yield return (HttpMethod.Post, models + "/versions", BadJson.Case("metric NaN", "metrics.overall", register.With("metrics.overall", new JsonObject { ["auroc"] = "NaN" })));
        yield return (HttpMethod.Post, models + "/versions", BadJson.Case("metric 1e400", "metrics.overall", register.WithRaw("metrics.overall", "{\"auroc\":1e400}")));
        yield return (HttpMethod.Post, models + "/versions", BadJson.Case("metric text", "metrics.overall", register.With("metrics.overall", new JsonObject { ["auroc"] = "good" })));
        yield return (HttpMethod.Post, models + "/versions", BadJson.Case("metric name with NUL", "metrics.overall", register.With("metrics.overall", new JsonObject { ["au\u0000roc"] = 0.8 })));
        yield return (HttpMethod.Post, models + "/versions", BadJson.Case("input name with NUL", "signature.inputs", register.With("signature.inputs", new JsonArray(new JsonObject { ["name"] = "hr\u0000", ["type"] = "float32", ["shape"] = new JsonArray(-1, 1) }))));
        yield return (HttpMethod.Post, models + "/versions", BadJson.Case("input without name", "signature.inputs", register.With("signature.inputs", new JsonArray(new JsonObject { ["type"] = "float32", ["shape"] = new JsonArray(-1, 1) }))));
        foreach (var c in register.Bodies())
        {
            yield return (HttpMethod.Post, models + "/versions", c);
        }

        // The model name is the route's own field. (No NUL: the in-process test server refuses such a path before the service sees it.)
        foreach (var (name, label) in new[] { ("bad%1Bname", "ESC"), ("bad%01name", "U+0001"), (new string('m', 201), "201 characters"), ("bad%20name", "space"), ("%ED%A0%80", "lone surrogate bytes") })
        {
            yield return (HttpMethod.Post, $"/api/registry/models/{name}/versions", BadInput.Of($"model name with {label}", "modelName", register.Valid()));
        }

        var promote = new BadJson(Promotion);
        foreach (var field in new[] { "version", "alias", "requestedBy" })
        {
            foreach (var c in promote.Field(field, FieldKind.Identifier))
            {
                yield return (HttpMethod.Post, models + "/promotions", c);
            }
        }

        foreach (var c in promote.Field("reason", FieldKind.FreeText))
        {
            yield return (HttpMethod.Post, models + "/promotions", c);
        }

        foreach (var c in promote.Field("expectedRevision", FieldKind.Number, required: false))
        {
            yield return (HttpMethod.Post, models + "/promotions", c);
        }

        yield return (HttpMethod.Post, models + "/promotions", BadJson.Case("expectedRevision 1.5", "expectedRevision", promote.With("expectedRevision", 1.5)));
        yield return (HttpMethod.Post, models + "/promotions", BadJson.Case("unknown version", "version", promote.With("version", "9.9.9")));
        foreach (var c in promote.Bodies(withContentType: false))
        {
            yield return (HttpMethod.Post, models + "/promotions", c);
        }

        var decision = new BadJson(Decision);
        var promotionId = Guid.NewGuid();
        foreach (var route in new[] { $"/promotions/{promotionId}/approve", $"/promotions/{promotionId}/reject", "/versions/1.0.0/archive" })
        {
            foreach (var c in decision.Field("by", FieldKind.Identifier))
            {
                yield return (HttpMethod.Post, models + route, c);
            }

            foreach (var c in decision.Field("reason", FieldKind.FreeText))
            {
                yield return (HttpMethod.Post, models + route, c);
            }

            foreach (var c in decision.Bodies(withContentType: false).Take(6))
            {
                yield return (HttpMethod.Post, models + route, c);
            }
        }

        var rollBack = new BadJson(RollBack);
        foreach (var c in rollBack.Field("alias", FieldKind.Identifier, required: false).Concat(rollBack.Field("requestedBy", FieldKind.Identifier)).Concat(rollBack.Field("reason", FieldKind.FreeText)))
        {
            yield return (HttpMethod.Post, models + "/rollback", c);
        }

        var policy = new BadJson(Policy);
        foreach (var c in policy.Field("policy", FieldKind.Object).Concat(policy.Field("changedBy", FieldKind.Identifier)).Concat(policy.Field("reason", FieldKind.FreeText)))
        {
            yield return (HttpMethod.Put, models + "/policy", c);
        }

        yield return (HttpMethod.Put, models + "/policy", BadJson.Case("challengerTrafficPercent 101", "policy.challengerTrafficPercent", policy.With("policy.challengerTrafficPercent", 101)));
        yield return (HttpMethod.Put, models + "/policy", BadJson.Case("challengerTrafficPercent -1", "policy.challengerTrafficPercent", policy.With("policy.challengerTrafficPercent", -1)));
        yield return (HttpMethod.Put, models + "/policy", BadJson.Case("challengerTrafficPercent 1.5", "policy.challengerTrafficPercent", policy.With("policy.challengerTrafficPercent", 1.5)));
        yield return (HttpMethod.Put, models + "/policy", BadJson.Case("mainMetric with NUL", "policy.mainMetric", policy.With("policy.mainMetric", "au\u0000roc")));
        yield return (HttpMethod.Put, models + "/policy", BadJson.Case("maxP99LatencyMs negative", "policy.maxP99LatencyMs", policy.With("policy.maxP99LatencyMs", -5)));
        yield return (HttpMethod.Put, models + "/policy", BadJson.Case("maxP99LatencyMs 1e400", "policy.maxP99LatencyMs", policy.WithRaw("policy.maxP99LatencyMs", "1e400")));
        yield return (HttpMethod.Put, models + "/policy", BadJson.Case("requireLeakageCheck string", "policy.requireLeakageCheck", policy.With("policy.requireLeakageCheck", "yes")));

        yield return (HttpMethod.Post, "/api/registry/artifacts", new BadInput("empty artifact", "body", [], "application/octet-stream"));
    }
}
