using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Mlops.Ingestion.Tests.Corpus;

/// <summary>
/// Generated bad inputs at both HTTP intakes. Every case must be refused with a 4xx (or, inside a well-formed
/// batch, a rejected item) naming the field and the problem; none may be stored. All failures are reported at once.
/// </summary>
[Collection(IngestionCollection.Name)]
public sealed class BadInputCorpusTests(IngestionServiceFixture service)
{
    const string Single = "/api/ingestion/observations";
    const string Batch = "/api/ingestion/observations/batch";

    readonly HttpClient _http = service.CreateClient();
    readonly string _prefix = "corpus-" + Guid.NewGuid().ToString("N")[..12] + "-";
    int _next;

    /// <summary>One bad input: the item (or whole body) and what a refusal must mention.</summary>
    sealed record Case(string Name, string Field, string? Item, string? Body = null, string ContentType = "application/json", string? DetailMentions = null)
    {
        /// <summary>
        /// Nested deeper than the JSON parser's limit (64): refused while the body is bound, before any member is
        /// read, so the refusal gives the line and byte position inside that member rather than its name.
        /// </summary>
        public bool TooDeep => Name.EndsWith("nested 1000 levels", StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadInputs_AtBothIntakes_AreRefusedNamingTheFieldAndNothingIsStored()
    {
        var items = ItemCases().ToList();
        var failures = new List<string>();
        var count = 0;
        foreach (var c in items)
        {
            count += 2;
            await CheckSingleAsync(c, failures);
            await CheckBatchItemAsync(c, failures);
        }

        foreach (var (endpoint, c) in BodyCases())
        {
            count++;
            await CheckBodyAsync(endpoint, c, failures);
        }

        Assert.True(count >= 200, $"the corpus has only {count} cases");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} cases failed:\n" + string.Join("\n", failures));

        await using var db = service.CreateDataSource();
        await using var command = db.CreateCommand("SELECT count(*) FROM observations WHERE observation_id LIKE $1");
        command.Parameters.Add(new NpgsqlParameter { Value = _prefix + "%" });
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task NumberSentAsString_IsAcceptedAndConverted()
    {
        // Documented in docs/ingestion.md: "88" is read as 88 (senders that quote every CSV cell keep working).
        var body = Observations.Valid(id: "corpus-str-" + Guid.NewGuid().ToString("N"), value: "88");

        var response = await _http.PostAsJsonAsync(Single, body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    async Task CheckSingleAsync(Case c, List<string> failures)
    {
        var response = await _http.PostAsync(Single, new StringContent(c.Item!, Encoding.UTF8, c.ContentType));
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        if (status is < 400 or >= 500)
        {
            failures.Add($"single / {c.Name}: status {status}: {Cut(text)}");
            return;
        }

        if (!NamesField(text, c.Field) && !(c.TooDeep && IsDepthRefusalWithPosition(text)))
        {
            failures.Add($"single / {c.Name}: refusal does not name '{c.Field}': {Cut(text)}");
        }
    }

    async Task CheckBatchItemAsync(Case c, List<string> failures)
    {
        var response = await _http.PostAsync(Batch, new StringContent("[" + c.Item + "]", Encoding.UTF8, c.ContentType));
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            failures.Add($"batch / {c.Name}: status {status}: {Cut(text)}");
            return;
        }

        if (status >= 400)
        {
            // A body-level refusal (e.g. nesting deeper than the parser allows) must still name where.
            if (!NamesField(text, c.Field) && !(c.TooDeep && IsDepthRefusalWithPosition(text)))
            {
                failures.Add($"batch / {c.Name}: refusal does not name '{c.Field}': {Cut(text)}");
            }

            return;
        }

        var result = JsonDocument.Parse(text).RootElement.GetProperty("results")[0];
        if (result.GetProperty("status").GetString() != "rejected")
        {
            failures.Add($"batch / {c.Name}: item was {result.GetProperty("status").GetString()}");
            return;
        }

        var errors = result.GetProperty("errors").EnumerateArray().ToList();
        if (!errors.Any(e => e.GetProperty("field").GetString() == c.Field && !string.IsNullOrWhiteSpace(e.GetProperty("message").GetString())))
        {
            failures.Add($"batch / {c.Name}: no error names '{c.Field}': {Cut(text)}");
        }
    }

    async Task CheckBodyAsync(string endpoint, Case c, List<string> failures)
    {
        var response = await _http.PostAsync(endpoint, new StringContent(c.Body!, Encoding.UTF8, c.ContentType));
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        var label = $"{(endpoint == Single ? "single" : "batch")} / {c.Name}";
        if (status is < 400 or >= 500)
        {
            failures.Add($"{label}: status {status}: {Cut(text)}");
            return;
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            failures.Add($"{label}: not problem details ({response.Content.Headers.ContentType}): {Cut(text)}");
            return;
        }

        var detail = JsonDocument.Parse(text).RootElement.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "";
        if (!detail.Contains(c.DetailMentions!, StringComparison.Ordinal) && !NamesField(text, c.Field))
        {
            failures.Add($"{label}: detail does not mention '{c.DetailMentions}': {Cut(text)}");
        }
    }

    // A ValidationProblem names the field as an errors key; a bind-level problem in its path/detail ($.field…).
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
        return (path + " " + detail).Contains(field == "$" ? "$" : "$." + field, StringComparison.Ordinal)
            || (path + " " + detail).Contains("[0]." + field, StringComparison.Ordinal);
    }

    static bool IsDepthRefusalWithPosition(string text)
    {
        var root = JsonDocument.Parse(text).RootElement;
        return root.TryGetProperty("detail", out var detail) && detail.GetString()!.Contains("depth", StringComparison.Ordinal)
            && root.TryGetProperty("line", out _) && root.TryGetProperty("bytePositionInLine", out _);
    }

    static string Cut(string text) => text.Length > 300 ? text[..300] + "…" : text;

    JsonObject ValidItem()
    {
        var id = _prefix + Interlocked.Increment(ref _next);
        return new JsonObject
        {
            ["observationId"] = id,
            ["entityId"] = "corpus-patient",
            ["code"] = "heart_rate",
            ["value"] = 92,
            ["unit"] = "/min",
            ["eventTime"] = DateTimeOffset.UtcNow.AddMinutes(-10).ToString("O"),
            ["sourceSystem"] = "corpus",
        };
    }

    Case With(string name, string field, JsonNode? value)
    {
        var item = ValidItem();
        item[field] = value;
        return new Case(name, field, item.ToJsonString());
    }

    Case Without(string field)
    {
        var item = ValidItem();
        item.Remove(field);
        return new Case($"{field} missing", field, item.ToJsonString());
    }

    // A raw JSON fragment as the member's value, for what JsonNode cannot express (lone surrogates, deep nesting, 1e400).
    Case WithRaw(string name, string field, string rawValue)
    {
        var item = ValidItem();
        item[field] = "__RAW__";
        return new Case(name, field, item.ToJsonString().Replace("\"__RAW__\"", rawValue, StringComparison.Ordinal));
    }

    static readonly string[] StringFields = ["observationId", "entityId", "code", "unit", "sourceSystem"];
    static readonly string[] TimeFields = ["eventTime", "availableTime"];

    IEnumerable<Case> ItemCases()
    {
        char[] controls = ['\u0000', '\u0001', '\u0007', '\b', '\u001b', '\u001f', '\u007f', '\u0085', '\n', '\t'];
        foreach (var field in StringFields)
        {
            foreach (var control in controls)
            {
                var valid = field switch { "code" => "heart_rate", "unit" => "/min", _ => "corpus-x" };
                yield return With($"{field} with U+{(int)control:X4}", field, valid[..3] + control + valid[3..]);
            }

            yield return WithRaw($"{field} with lone high surrogate", field, "\"ab\\ud800cd\"");
            yield return WithRaw($"{field} with lone low surrogate", field, "\"ab\\udc00cd\"");
            yield return WithRaw($"{field} with reversed surrogate pair", field, "\"\\udc00\\ud800\"");
            yield return With($"{field} number", field, 88);
            yield return With($"{field} boolean", field, true);
            yield return With($"{field} array", field, new JsonArray("a"));
            yield return With($"{field} object", field, new JsonObject { ["a"] = 1 });
            yield return With($"{field} empty", field, "");
            yield return With($"{field} whitespace", field, "   ");
            yield return With($"{field} null", field, null);
            yield return WithRaw($"{field} nested 1000 levels", field, new string('[', 1000) + new string(']', 1000));
            if (field != "unit")
            {
                yield return Without(field);
            }
        }

        yield return With("observationId 1 MB", "observationId", new string('x', 1_000_000));
        // Over Kestrel's 30 MB body limit (a 413 there); the in-process test server does not enforce that limit,
        // so this checks that the service itself still refuses it naming the field rather than failing.
        yield return With("observationId 40 MB body", "observationId", new string('x', 40_000_000));
        yield return With("entityId 201 characters", "entityId", new string('e', 201));
        yield return With("sourceSystem 64 KB", "sourceSystem", new string('s', 65_536));

        foreach (var field in TimeFields)
        {
            foreach (var bad in new[] { "not-a-time", "2024-13-45T00:00:00Z", "2024-02-30T10:00:00Z", "10000-01-01T00:00:00Z", "yesterday", "2024-01-01T25:61:00Z", "", "1700000000" })
            {
                yield return With($"{field} '{bad}'", field, bad);
            }

            yield return With($"{field} number", field, 1_700_000_000);
            yield return With($"{field} boolean", field, false);
            yield return With($"{field} array", field, new JsonArray("2024-01-01T00:00:00Z"));
            yield return With($"{field} object", field, new JsonObject { ["at"] = "2024-01-01T00:00:00Z" });
            yield return With($"{field} in year 2999", field, "2999-01-01T00:00:00Z");
            yield return With($"{field} one hour ahead", field, DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
            yield return WithRaw($"{field} with NUL", field, "\"2024-01-01T00:00:00\\u0000Z\"");
            yield return WithRaw($"{field} with lone surrogate", field, "\"2024-01-01T00:00:00\\ud800Z\"");
            yield return WithRaw($"{field} nested 1000 levels", field, new string('[', 1000) + new string(']', 1000));
        }

        yield return Without("eventTime");
        yield return With("eventTime null", "eventTime", null);
        yield return With("availableTime before eventTime", "availableTime", DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));

        foreach (var (name, node) in new (string, JsonNode?)[]
        {
            ("value boolean", true), ("value array", new JsonArray(92)), ("value object", new JsonObject { ["v"] = 92 }),
            ("value text", "fast"), ("value empty string", ""), ("value null", null), ("value 'NaN'", "NaN"), ("value 'Infinity'", "Infinity"),
            ("value '-Infinity'", "-Infinity"), ("value too high", 100_000), ("value too low", 1), ("value negative", -92), ("value zero", 0),
            ("value string too high", "3000"), ("value with NUL", "9\u00002"), ("value 1e308", 1e308),
        })
        {
            yield return With(name, "value", node);
        }

        yield return WithRaw("value 1e400 (overflows double)", "value", "1e400");
        yield return WithRaw("value -1e400", "value", "-1e400");
        yield return WithRaw("value lone surrogate", "value", "\"9\\ud8002\"");
        yield return WithRaw("value nested 1000 levels", "value", new string('[', 1000) + new string(']', 1000));
        yield return Without("value");

        foreach (var code in new[] { "heart-rate", "unknown_code", "heart_rate; DROP TABLE observations", "💓", "../etc/passwd" })
        {
            yield return With($"code '{code}'", "code", code);
        }

        foreach (var unit in new[] { "bpm ", "Cel", "%", "/s", "mm[Hg]", "x" })
        {
            yield return With($"unit '{unit}'", "unit", unit);
        }

        yield return Without("unit");

        var consciousness = ValidItem();
        consciousness["code"] = "consciousness";
        consciousness["value"] = "Z";
        yield return new Case("category not in list", "value", consciousness.ToJsonString());
        consciousness["value"] = 3;
        yield return new Case("category as number", "value", consciousness.ToJsonString());
        consciousness["value"] = "__RAW__";
        yield return new Case("category with lone surrogate", "value", consciousness.ToJsonString().Replace("\"__RAW__\"", "\"\\ud800\"", StringComparison.Ordinal));
        consciousness["value"] = "A\u0000";
        yield return new Case("category with NUL", "value", consciousness.ToJsonString());

        var temperature = ValidItem();
        temperature["code"] = "temperature";
        temperature["unit"] = "[degF]";
        temperature["value"] = 212;
        yield return new Case("temperature 212 degF out of range", "value", temperature.ToJsonString());
    }

    IEnumerable<(string Endpoint, Case Case)> BodyCases()
    {
        var valid = ValidItem().ToJsonString();
        foreach (var endpoint in new[] { Single, Batch })
        {
            var body = endpoint == Single ? valid : "[" + valid + "]";
            yield return (endpoint, new Case("empty body", "$", null, "", DetailMentions: "body is empty"));
            yield return (endpoint, new Case("whitespace body", "$", null, "   ", DetailMentions: "line"));
            yield return (endpoint, new Case("truncated JSON", "$", null, body[..(body.Length / 2)], DetailMentions: "line"));
            yield return (endpoint, new Case("trailing garbage", "$", null, body + " garbage", DetailMentions: "line"));
            yield return (endpoint, new Case("two documents", "$", null, body + body, DetailMentions: "line"));
            yield return (endpoint, new Case("trailing comma", "$", null, body[..^1] + ",}", DetailMentions: "line"));
            yield return (endpoint, new Case("single quotes", "$", null, body.Replace('"', '\''), DetailMentions: "line"));
            yield return (endpoint, new Case("NUL byte outside strings", "$", null, "\u0000" + body, DetailMentions: "line"));
            yield return (endpoint, new Case("text/plain", "$", null, body, "text/plain", DetailMentions: "Content-Type"));
            yield return (endpoint, new Case("form content type", "$", null, "a=1", "application/x-www-form-urlencoded", DetailMentions: "Content-Type"));
            yield return (endpoint, new Case("xml content type", "$", null, "<o/>", "application/xml", DetailMentions: "Content-Type"));
            yield return (endpoint, new Case("root nested 1000 levels", "$", null, new string('[', 1000) + new string(']', 1000), DetailMentions: "depth"));
            yield return (endpoint, new Case("number root", "$", null, "88", DetailMentions: endpoint == Single ? "object" : "array"));
            yield return (endpoint, new Case("string root", "$", null, "\"88\"", DetailMentions: endpoint == Single ? "object" : "array"));
            yield return (endpoint, new Case("null root", "$", null, "null", DetailMentions: endpoint == Single ? "object" : "array"));
        }

        yield return (Single, new Case("array where an object is expected", "$", null, "[" + valid + "]", DetailMentions: "object"));
        yield return (Batch, new Case("object where an array is expected", "$", null, valid, DetailMentions: "array"));
        var oversized = "[" + string.Join(",", Enumerable.Range(0, 10_001).Select(_ => ValidItem().ToJsonString())) + "]";
        yield return (Batch, new Case("10,001 items", "$", null, oversized, DetailMentions: "at most 10000"));
    }
}
