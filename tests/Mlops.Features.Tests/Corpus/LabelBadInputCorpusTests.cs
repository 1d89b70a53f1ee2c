using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Mlops.Testing.Corpus;
using Npgsql;
using Xunit.Abstractions;

namespace Mlops.Features.Tests.Corpus;

/// <summary>
/// Generated bad labels at <c>POST /api/features/labels</c>: each must be a 4xx problem naming the field (as an
/// errors key or a JSON path; for a malformed body, the position and reason), and none may be stored. All failures
/// are reported at once.
/// </summary>
[Collection(FeaturesCollection.Name)]
public sealed class LabelBadInputCorpusTests(FeaturesServiceFixture service, ITestOutputHelper output)
{
    const string Labels = "/api/features/labels";

    readonly HttpClient _http = service.CreateClient();
    readonly string _prefix = "lcorpus-" + Guid.NewGuid().ToString("N")[..12] + "-";
    int _next;

    [Fact]
    public async Task BadLabels_AreRefusedNamingTheFieldAndNothingIsStored()
    {
        var cases = LabelCorpus.Cases(Valid).ToList();
        var failures = new List<string>();
        foreach (var c in cases)
        {
            if (await Refusal.CheckAsync(_http, HttpMethod.Post, Labels, c) is { } failure)
            {
                failures.Add(failure);
            }
        }

        output.WriteLine($"{cases.Count} cases, {cases.Count - failures.Count} refused naming the field, {failures.Count} failed");

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));
        Assert.True(cases.Count >= 200, $"the corpus has only {cases.Count} cases");

        await using var db = service.CreateDataSource();
        await using var command = db.CreateCommand("SELECT count(*) FROM labels WHERE label_id LIKE $1 OR entity_id LIKE $1");
        command.Parameters.Add(new NpgsqlParameter { Value = _prefix + "%" });
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task NumberSentAsString_IsAcceptedAndConverted()
    {
        // Consistent with ingestion (docs/reliability.md, "Bad-input corpora"): "1" is read as 1.
        var label = Valid();
        label["value"] = "1";

        var response = await _http.PostAsJsonAsync(Labels, label);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    JsonObject Valid()
    {
        var id = _prefix + Interlocked.Increment(ref _next);
        return new JsonObject
        {
            ["labelId"] = id,
            // The entity carries the prefix too, so a case that breaks labelId is still found if it were stored.
            ["entityId"] = id,
            ["name"] = "deterioration",
            ["value"] = 1,
            ["eventTime"] = DateTimeOffset.UtcNow.AddHours(-1).ToString("O"),
        };
    }
}

/// <summary>The bad labels both label intakes (HTTP and <c>labels.v1</c>) must refuse.</summary>
internal static class LabelCorpus
{
    public static IEnumerable<BadInput> Cases(Func<JsonObject> valid, string prefix = "", bool bodies = true)
    {
        var json = new BadJson(valid);
        foreach (var field in new[] { "labelId", "entityId", "name" })
        {
            foreach (var c in json.Field(prefix + field, FieldKind.Identifier))
            {
                yield return c;
            }
        }

        foreach (var c in json.Field(prefix + "value", FieldKind.Number))
        {
            yield return c;
        }

        foreach (var c in json.Field(prefix + "eventTime", FieldKind.Time))
        {
            yield return c;
        }

        yield return BadJson.Case("eventTime in year 2999", prefix + "eventTime", json.With(prefix + "eventTime", "2999-01-01T00:00:00Z"));
        yield return BadJson.Case("eventTime one hour ahead", prefix + "eventTime", json.With(prefix + "eventTime", DateTimeOffset.UtcNow.AddHours(1).ToString("O")));
        yield return BadJson.Case("eventTime year 0001", prefix + "eventTime", json.With(prefix + "eventTime", "0001-01-01T00:00:00Z"));
        yield return BadJson.Case("eventTime 1899", prefix + "eventTime", json.With(prefix + "eventTime", "1899-12-31T23:59:59Z"));
        yield return BadJson.Case("eventTime 9999-12-31", prefix + "eventTime", json.With(prefix + "eventTime", "9999-12-31T23:59:59Z"));
        yield return BadJson.Case("eventTime June 31", prefix + "eventTime", json.With(prefix + "eventTime", "2024-06-31T00:00:00Z"));
        yield return BadJson.Case("value string '1e999'", prefix + "value", json.With(prefix + "value", "1e999"));
        yield return BadJson.Case("value string 'true'", prefix + "value", json.With(prefix + "value", "true"));
        yield return BadJson.Case("value string with trailing space", prefix + "value", json.With(prefix + "value", "1 "));
        yield return BadJson.Case("value 1e309", prefix + "value", json.WithRaw(prefix + "value", "1e309"));
        yield return BadJson.Case("value bare NaN token", prefix + "value", json.WithRaw(prefix + "value", "NaN"));
        yield return BadJson.Case("value bare Infinity token", prefix + "value", json.WithRaw(prefix + "value", "Infinity"));
        yield return BadJson.Case("value string '1_000'", prefix + "value", json.With(prefix + "value", "1_000"));
        yield return BadJson.Case("eventTime with Z and an offset", prefix + "eventTime", json.With(prefix + "eventTime", "2024-01-01T00:00:00Z+01:00"));
        yield return BadJson.Case("eventTime RFC 1123", prefix + "eventTime", json.With(prefix + "eventTime", "Mon, 01 Jan 2024 00:00:00 GMT"));
        yield return BadJson.Case("eventTime with a zone name", prefix + "eventTime", json.With(prefix + "eventTime", "2024-01-01T00:00:00 UTC"));
        // The optional prediction id (monitoring joins outcomes by it) is held to the same rules as the other ids.
        yield return BadJson.Case("predictionId empty", prefix + "predictionId", json.With(prefix + "predictionId", ""));
        yield return BadJson.Case("predictionId whitespace", prefix + "predictionId", json.With(prefix + "predictionId", "  "));
        yield return BadJson.Case("predictionId 1 MB", prefix + "predictionId", json.With(prefix + "predictionId", new string('x', 1_000_000)));
        yield return BadJson.Case("predictionId with U+0000", prefix + "predictionId", json.With(prefix + "predictionId", "ab\0cd"));
        yield return BadJson.Case("predictionId number", prefix + "predictionId", json.With(prefix + "predictionId", 42));
        if (bodies)
        {
            foreach (var c in json.Bodies())
            {
                yield return c;
            }

            yield return BadJson.Case("empty object", "$", "{}");
        }
    }
}
