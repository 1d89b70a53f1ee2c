using System.Text.Json.Nodes;
using Mlops.Testing.Corpus;
using Xunit.Abstractions;

namespace Mlops.Inference.Tests.Corpus;

/// <summary>
/// Generated bad requests at <c>POST /api/inference/batch-jobs</c>, the batch intake: each must be a 4xx problem
/// naming the field (for a malformed body, the position and reason), and none may create a job — a refused request
/// never reaches the planner (which would ask ingestion and features and answer otherwise).
/// </summary>
public sealed class BatchJobBadInputCorpusTests(ITestOutputHelper output) : IAsyncLifetime
{
    const string Jobs = "/api/inference/batch-jobs";

    readonly InferenceAppFactory _factory = new();
    HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _factory.ReadyClientAsync();

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task BadBatchJobRequests_AreRefusedNamingTheFieldAndCreateNoJob()
    {
        var before = await JobCountAsync();
        var cases = Cases().ToList();
        var failures = new List<string>();
        foreach (var c in cases)
        {
            if (await Refusal.CheckAsync(_client, HttpMethod.Post, Jobs, c) is { } failure)
            {
                failures.Add(failure);
            }
        }

        output.WriteLine($"{cases.Count} cases, {cases.Count - failures.Count} refused naming the field, {failures.Count} failed");

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));
        Assert.True(cases.Count >= 200, $"the corpus has only {cases.Count} cases");
        Assert.Equal(before, await JobCountAsync());
    }

    async Task<int> JobCountAsync() => JsonNode.Parse(await _client.GetStringAsync(Jobs))!.AsArray().Count;

    static JsonObject Valid() => new()
    {
        ["model"] = "deterioration",
        ["version"] = "1",
        ["datasetVersion"] = "sha256:corpus",
        ["times"] = new JsonArray("2026-11-01T08:00:00Z", "2026-11-01T20:00:00Z"),
        ["outputTopic"] = "batch-predictions.corpus",
    };

    static IEnumerable<BadInput> Cases()
    {
        var json = new BadJson(Valid);
        foreach (var c in json.Bodies())
        {
            yield return c;
        }

        foreach (var field in new[] { "model", "datasetVersion" })
        {
            foreach (var c in json.Field(field, FieldKind.Identifier))
            {
                yield return c;
            }
        }

        foreach (var c in json.Field("version", FieldKind.Identifier, required: false)
            .Where(c => !c.Name.EndsWith(" empty", StringComparison.Ordinal) && !c.Name.EndsWith(" whitespace", StringComparison.Ordinal)))
        {
            yield return c;
        }

        // Each bad time in the list, named by its index.
        foreach (var bad in new[] { "not-a-time", "2026-13-01T00:00:00Z", "2026-02-30T10:00:00Z", "yesterday", "", "   ", "10000-01-01T00:00:00Z", "T10:00:00Z" })
        {
            var body = Valid();
            body["times"] = new JsonArray("2026-11-01T08:00:00Z", bad);
            yield return BadInput.Of($"times[1] '{bad}'", "times[1]", body.ToJsonString());
        }

        foreach (var (name, times) in new (string, JsonNode?)[]
        {
            ("times empty", new JsonArray()), ("times a string", JsonValue.Create("2026-11-01T08:00:00Z")), ("times a number", JsonValue.Create(7)),
            ("times an object", new JsonObject { ["at"] = "2026-11-01T08:00:00Z" }), ("times of numbers", new JsonArray(1, 2)),
        })
        {
            var body = Valid();
            body["times"] = times;
            yield return BadInput.Of(name, "times", body.ToJsonString());
        }

        var both = Valid();
        both["labelTimes"] = true;
        yield return BadInput.Of("times and labelTimes both", "times", both.ToJsonString());
        var neither = Valid();
        neither.Remove("times");
        yield return BadInput.Of("neither times nor labelTimes", "times", neither.ToJsonString());
        var labelWithoutTimes = Valid();
        labelWithoutTimes["labelName"] = "deterioration_24h";
        yield return BadInput.Of("labelName without labelTimes", "labelName", labelWithoutTimes.ToJsonString());

        foreach (var value in new JsonNode?[] { JsonValue.Create("yes"), JsonValue.Create(1), new JsonArray(true), new JsonObject() })
        {
            var body = Valid();
            body.Remove("times");
            body["labelTimes"] = value;
            yield return BadInput.Of($"labelTimes {value?.ToJsonString()}", "labelTimes", body.ToJsonString());
        }

        // At every label time instead of given times: the label's name is checked as any identifier.
        var byLabel = new BadJson(() => new JsonObject
        {
            ["model"] = "deterioration", ["datasetVersion"] = "sha256:corpus", ["labelTimes"] = true, ["labelName"] = "deterioration_24h",
        });
        foreach (var c in byLabel.Field("labelName", FieldKind.Identifier, required: false)
            .Where(c => !c.Name.EndsWith(" empty", StringComparison.Ordinal) && !c.Name.EndsWith(" whitespace", StringComparison.Ordinal)))
        {
            yield return c;
        }

        foreach (var c in json.Field("outputTopic", FieldKind.Identifier, required: false)
            .Where(c => !c.Name.EndsWith(" empty", StringComparison.Ordinal) && !c.Name.EndsWith(" whitespace", StringComparison.Ordinal)))
        {
            yield return c;
        }

        foreach (var topic in new[] { "observations.v1", "predictions.v1", "batch-predictions", "batch-predictions.a b", "batch-predictions.é", "batch-predictions./x", new string('b', 250) })
        {
            var body = Valid();
            body["outputTopic"] = topic;
            yield return BadInput.Of($"outputTopic '{topic[..Math.Min(30, topic.Length)]}'", "outputTopic", body.ToJsonString());
        }
    }
}
