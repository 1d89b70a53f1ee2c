using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Mlops.Features.Tests.Corpus;

/// <summary>
/// Generated bad labels at <c>POST /api/features/labels</c>: each must be a 4xx problem naming the field (as an
/// errors key or a JSON path), and none may be stored. All failures are reported at once.
/// </summary>
[Collection(FeaturesCollection.Name)]
public sealed class LabelBadInputCorpusTests(FeaturesServiceFixture service)
{
    const string Labels = "/api/features/labels";

    readonly HttpClient _http = service.CreateClient();
    readonly string _prefix = "lcorpus-" + Guid.NewGuid().ToString("N")[..12] + "-";
    int _next;

    sealed record Case(string Name, string Field, string Body, string ContentType = "application/json");

    [Fact]
    public async Task BadLabels_AreRefusedNamingTheFieldAndNothingIsStored()
    {
        var cases = Cases().ToList();
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var response = await _http.PostAsync(Labels, new StringContent(c.Body, Encoding.UTF8, c.ContentType));
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            if (status is < 400 or >= 500)
            {
                failures.Add($"{c.Name}: status {status}: {Cut(text)}");
            }
            else if (!NamesField(text, c.Field))
            {
                failures.Add($"{c.Name}: refusal does not name '{c.Field}': {Cut(text)}");
            }
        }

        Assert.True(cases.Count >= 50, $"the corpus has only {cases.Count} cases");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));

        await using var db = service.CreateDataSource();
        await using var command = db.CreateCommand("SELECT count(*) FROM labels WHERE label_id LIKE $1");
        command.Parameters.Add(new NpgsqlParameter { Value = _prefix + "%" });
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    static bool NamesField(string text, string field)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException)
        {
            return false;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object
            && errors.TryGetProperty(field, out var messages) && messages.GetArrayLength() > 0)
        {
            return true;
        }

        var detail = root.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "";
        var path = root.TryGetProperty("path", out var p) ? p.GetString() ?? "" : "";
        var where = path + " " + detail;
        return field == "$" ? detail.Length > 0 : where.Contains("$." + field, StringComparison.Ordinal) || detail.Contains($"'{field}'", StringComparison.Ordinal);
    }

    static string Cut(string text) => text.Length > 300 ? text[..300] + "…" : text;

    JsonObject Valid() => new()
    {
        ["labelId"] = _prefix + Interlocked.Increment(ref _next),
        ["entityId"] = "corpus-patient",
        ["name"] = "deterioration",
        ["value"] = 1,
        ["eventTime"] = DateTimeOffset.UtcNow.AddHours(-1).ToString("O"),
    };

    Case With(string name, string field, JsonNode? value)
    {
        var label = Valid();
        label[field] = value;
        return new Case(name, field, label.ToJsonString());
    }

    Case WithRaw(string name, string field, string raw)
    {
        var label = Valid();
        label[field] = "__RAW__";
        return new Case(name, field, label.ToJsonString().Replace("\"__RAW__\"", raw, StringComparison.Ordinal));
    }

    IEnumerable<Case> Cases()
    {
        string[] ids = ["labelId", "entityId", "name"];
        char[] controls = ['\u0000', '\u0001', '\u0007', '\u001b', '\u007f', '\u0085', '\n', '\t'];
        foreach (var field in ids)
        {
            foreach (var control in controls)
            {
                yield return With($"{field} with U+{(int)control:X4}", field, "ab" + control + "cd");
            }

            yield return WithRaw($"{field} with lone high surrogate", field, "\"ab\\ud800cd\"");
            yield return WithRaw($"{field} with lone low surrogate", field, "\"ab\\udc00cd\"");
            yield return With($"{field} empty", field, "");
            yield return With($"{field} whitespace", field, "  ");
            yield return With($"{field} 1 MB", field, new string('x', 1_000_000));
        }

        foreach (var field in new[] { "labelId", "entityId", "name", "value", "eventTime" })
        {
            yield return With($"{field} boolean", field, true);
            yield return With($"{field} array", field, new JsonArray(1));
            yield return With($"{field} object", field, new JsonObject { ["a"] = 1 });
            yield return With($"{field} null", field, null);
            var missing = Valid();
            missing.Remove(field);
            yield return new Case($"{field} missing", field, missing.ToJsonString());
        }

        yield return With("value text", "value", "yes");
        yield return With("value 'NaN'", "value", "NaN");
        yield return WithRaw("value 1e400", "value", "1e400");
        foreach (var bad in new[] { "not-a-time", "2024-13-45T00:00:00Z", "2024-02-30T10:00:00Z", "", "10000-01-01T00:00:00Z" })
        {
            yield return With($"eventTime '{bad}'", "eventTime", bad);
        }

        yield return With("eventTime number", "eventTime", 1_700_000_000);
        // The optional prediction id (monitoring joins outcomes by it) is held to the same rules as the other ids.
        yield return With("predictionId empty", "predictionId", "");
        yield return With("predictionId whitespace", "predictionId", "  ");
        yield return With("predictionId 1 MB", "predictionId", new string('x', 1_000_000));
        yield return With("predictionId with U+0000", "predictionId", "ab\0cd");
        yield return With("predictionId number", "predictionId", 42);
        var valid = Valid().ToJsonString();
        yield return new Case("truncated JSON", "$", valid[..(valid.Length / 2)]);
        yield return new Case("trailing garbage", "$", valid + " garbage");
        yield return new Case("empty body", "$", "");
        yield return new Case("array root", "$", "[" + valid + "]");
        yield return new Case("root nested 1000 levels", "$", new string('[', 1000) + new string(']', 1000));
        yield return new Case("text/plain", "$", valid, "text/plain");
    }
}
