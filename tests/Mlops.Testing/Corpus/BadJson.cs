using System.Text;
using System.Text.Json.Nodes;

namespace Mlops.Testing.Corpus;

/// <summary>What a member holds, which decides the bad values worth sending it.</summary>
public enum FieldKind
{
    /// <summary>An id, code or name: no control character, valid Unicode, bounded length, not blank.</summary>
    Identifier,

    /// <summary>Prose (a reason, a description): line breaks allowed, other control characters not, bounded length.</summary>
    FreeText,

    /// <summary>A JSON number (a number written as a string, <c>"88"</c>, is accepted: see docs/reliability.md).</summary>
    Number,

    /// <summary>An ISO 8601 timestamp.</summary>
    Time,

    /// <summary>A UUID.</summary>
    Guid,

    /// <summary>A JSON object.</summary>
    Object,

    /// <summary>A JSON array.</summary>
    Array,
}

/// <summary>
/// Generates distinct bad inputs from one valid JSON body: each case changes one member (or breaks the body as a
/// whole) so the refusal has exactly one thing to name. Cases that need bytes JSON cannot express (lone
/// surrogates as escapes, 1e400, nesting deeper than any parser allows) are spliced in as raw text.
/// </summary>
public sealed class BadJson(Func<JsonObject> valid)
{
    const string Placeholder = "\"__CORPUS_RAW__\"";

    /// <summary>The valid body with <paramref name="path"/> (dotted) set to <paramref name="value"/>.</summary>
    public string With(string path, JsonNode? value)
    {
        var body = valid();
        var (parent, member) = Locate(body, path);
        parent[member] = value;
        return body.ToJsonString();
    }

    /// <summary>The valid body with <paramref name="path"/> set to a raw JSON fragment.</summary>
    public string WithRaw(string path, string rawJson) =>
        With(path, "__CORPUS_RAW__").Replace(Placeholder, rawJson, StringComparison.Ordinal);

    /// <summary>The valid body without <paramref name="path"/>.</summary>
    public string Without(string path)
    {
        var body = valid();
        var (parent, member) = Locate(body, path);
        parent.Remove(member);
        return body.ToJsonString();
    }

    /// <summary>The valid body, serialised.</summary>
    public string Valid() => valid().ToJsonString();

    /// <summary>Every bad value of <paramref name="kind"/> for one member.</summary>
    public IEnumerable<BadInput> Field(string path, FieldKind kind, bool required = true)
    {
        var cases = kind switch
        {
            FieldKind.Identifier => IdentifierValues(path),
            FieldKind.FreeText => FreeTextValues(path),
            FieldKind.Number => NumberValues(path),
            FieldKind.Time => TimeValues(path),
            FieldKind.Guid => GuidValues(path),
            FieldKind.Object => ContainerValues(path, "{}"),
            FieldKind.Array => ContainerValues(path, "[]"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        foreach (var c in cases)
        {
            yield return c;
        }

        yield return Case($"{path} nested 1000 levels", path, WithRaw(path, Deep(1000)));
        if (required)
        {
            yield return Case($"{path} missing", path, Without(path));
            yield return Case($"{path} null", path, With(path, null));
        }
    }

    /// <summary>The body as a whole broken: malformed JSON, wrong root, wrong content type, oversized.</summary>
    public IEnumerable<BadInput> Bodies(bool withContentType = true)
    {
        var body = Valid();
        yield return BadInput.Of("empty body", "$", "", mentions: "body");
        yield return BadInput.Of("whitespace body", "$", "   ", mentions: "line");
        yield return BadInput.Of("truncated JSON", "$", body[..(body.Length / 2)], mentions: "line");
        yield return BadInput.Of("trailing garbage", "$", body + " garbage", mentions: "line");
        yield return BadInput.Of("two documents", "$", body + body, mentions: "line");
        yield return BadInput.Of("trailing comma", "$", body[..^1] + ",}", mentions: "line");
        yield return BadInput.Of("single quotes", "$", body.Replace('"', '\''), mentions: "line");
        yield return BadInput.Of("unquoted member names", "$", "{a:1}", mentions: "line");
        yield return BadInput.Of("comment in body", "$", "/* c */" + body, mentions: "line");
        yield return BadInput.Of("NUL byte before the body", "$", "\u0000" + body, mentions: "line");
        yield return BadInput.Of("raw control character in a string", "$", body.Insert(body.IndexOf(":\"", StringComparison.Ordinal) + 3, "\u0001"), mentions: "line");
        yield return new BadInput("invalid UTF-8 bytes in a string", "$", Splice(Encoding.UTF8.GetBytes(body), body.IndexOf(":\"", StringComparison.Ordinal) + 3, [0xC3, 0x28]), Mentions: "line");
        yield return new BadInput("UTF-16 body", "$", Encoding.Unicode.GetBytes(body), Mentions: "line");
        // A typed endpoint refuses the first '[' (an array is not the object it expects); either way a position is given.
        yield return BadInput.Of("root nested 1000 levels", "$", Deep(1000), mentions: "line");
        yield return BadInput.Of("number root", "$", "88", mentions: "line");
        yield return BadInput.Of("string root", "$", "\"88\"", mentions: "line");
        yield return BadInput.Of("null root", "$", "null");
        yield return BadInput.Of("array root", "$", "[" + body + "]", mentions: "line");
        yield return BadInput.Of("lone opening brace", "$", "{", mentions: "line");
        yield return BadInput.Of("lone closing bracket", "$", "]", mentions: "line");
        yield return BadInput.Of("object root nested 1000 levels", "$", string.Concat(Enumerable.Repeat("{\"a\":", 1000)) + "1" + new string('}', 1000), mentions: "depth");
        if (withContentType)
        {
            yield return BadInput.Of("text/plain", "$", body, "text/plain", "Content-Type");
            yield return BadInput.Of("form content type", "$", "a=1", "application/x-www-form-urlencoded", "Content-Type");
            yield return BadInput.Of("xml content type", "$", "<a/>", "application/xml", "Content-Type");
        }
    }

    /// <summary>A case with a name, the field it is about and its body.</summary>
    public static BadInput Case(string name, string field, string body) => BadInput.Of(name, field, body);

    /// <summary>Arrays nested <paramref name="levels"/> deep.</summary>
    public static string Deep(int levels) => new string('[', levels) + new string(']', levels);

    IEnumerable<BadInput> IdentifierValues(string path)
    {
        foreach (var c in new[] { '\u0000', '\u0001', '\u0002', '\u0007', '\b', '\t', '\n', '\u000b', '\u000c', '\r', '\u001b', '\u001f', '\u007f', '\u0085', '\u009f' })
        {
            yield return Case($"{path} with U+{(int)c:X4}", path, With(path, "ab" + c + "cd"));
        }

        // Invisible: zero-width space, left-to-right mark, right-to-left override, isolate, byte-order mark, a noncharacter.
        foreach (var c in new[] { '\u200b', '\u200e', '\u202e', '\u2066', '\ufeff', '\uffff' })
        {
            yield return Case($"{path} with invisible U+{(int)c:X4}", path, With(path, "ab" + c + "cd"));
        }

        foreach (var c in SurrogateAndTypeCases(path))
        {
            yield return c;
        }

        yield return Case($"{path} empty", path, With(path, ""));
        yield return Case($"{path} whitespace", path, With(path, "   "));
        yield return Case($"{path} 201 characters", path, With(path, new string('i', 201)));
        yield return Case($"{path} 1 MB", path, With(path, new string('x', 1_000_000)));
    }

    IEnumerable<BadInput> FreeTextValues(string path)
    {
        foreach (var c in new[] { '\u0000', '\u0001', '\u001b', '\u007f' })
        {
            yield return Case($"{path} with U+{(int)c:X4}", path, With(path, "ab" + c + "cd"));
        }

        foreach (var c in SurrogateAndTypeCases(path))
        {
            yield return c;
        }

        yield return Case($"{path} 1 MB", path, With(path, new string('x', 1_000_000)));
    }

    IEnumerable<BadInput> SurrogateAndTypeCases(string path)
    {
        yield return Case($"{path} with lone high surrogate", path, WithRaw(path, "\"ab\\ud800cd\""));
        yield return Case($"{path} with lone low surrogate", path, WithRaw(path, "\"ab\\udc00cd\""));
        yield return Case($"{path} with reversed surrogate pair", path, WithRaw(path, "\"\\udc00\\ud800\""));
        yield return Case($"{path} number", path, With(path, 88));
        yield return Case($"{path} boolean", path, With(path, true));
        yield return Case($"{path} array", path, With(path, new JsonArray("a")));
        yield return Case($"{path} object", path, With(path, new JsonObject { ["a"] = 1 }));
        yield return Case($"{path} float", path, With(path, 1.5));
        yield return Case($"{path} empty array", path, With(path, new JsonArray()));
        yield return Case($"{path} empty object", path, With(path, new JsonObject()));
    }

    IEnumerable<BadInput> NumberValues(string path)
    {
        yield return Case($"{path} text", path, With(path, "fast"));
        yield return Case($"{path} empty string", path, With(path, ""));
        yield return Case($"{path} 'NaN'", path, With(path, "NaN"));
        yield return Case($"{path} 'Infinity'", path, With(path, "Infinity"));
        yield return Case($"{path} string with NUL", path, With(path, "8\u00008"));
        yield return Case($"{path} boolean", path, With(path, true));
        yield return Case($"{path} array", path, With(path, new JsonArray(1)));
        yield return Case($"{path} object", path, With(path, new JsonObject { ["v"] = 1 }));
        yield return Case($"{path} 1e400", path, WithRaw(path, "1e400"));
        yield return Case($"{path} -1e400", path, WithRaw(path, "-1e400"));
        yield return Case($"{path} hex literal", path, WithRaw(path, "0x10"));
        yield return Case($"{path} leading plus", path, WithRaw(path, "+1"));
        yield return Case($"{path} empty array", path, With(path, new JsonArray()));
        yield return Case($"{path} empty object", path, With(path, new JsonObject()));
        foreach (var text in new[] { "1,5", " 1", "1e", "--1", "\u0661", "0x10", "null" })
        {
            yield return Case($"{path} string '{text}'", path, With(path, text));
        }
    }

    IEnumerable<BadInput> TimeValues(string path)
    {
        foreach (var bad in new[]
        {
            "not-a-time", "2024-13-45T00:00:00Z", "2024-02-30T10:00:00Z", "10000-01-01T00:00:00Z", "2024-01-01T25:61:00Z", "yesterday", "", "1700000000",
            "2024-01-01T00:00:00+25:00", "2024-1-1T00:00:00Z", "0000-01-01T00:00:00Z", "T10:00:00Z", "   ",
        })
        {
            yield return Case($"{path} '{bad}'", path, With(path, bad));
        }

        yield return Case($"{path} number", path, With(path, 1_700_000_000));
        yield return Case($"{path} boolean", path, With(path, false));
        yield return Case($"{path} array", path, With(path, new JsonArray("2024-01-01T00:00:00Z")));
        yield return Case($"{path} object", path, With(path, new JsonObject { ["at"] = "2024-01-01T00:00:00Z" }));
        yield return Case($"{path} float", path, With(path, 1.7e9));
        yield return Case($"{path} with NUL", path, WithRaw(path, "\"2024-01-01T00:00:00\\u0000Z\""));
        yield return Case($"{path} with lone surrogate", path, WithRaw(path, "\"2024-01-01T00:00:00\\ud800Z\""));
    }

    IEnumerable<BadInput> GuidValues(string path)
    {
        foreach (var bad in new[] { "not-a-guid", "", "00000000-0000-0000-0000-00000000000g", "{}" })
        {
            yield return Case($"{path} '{bad}'", path, With(path, bad));
        }

        yield return Case($"{path} number", path, With(path, 88));
        yield return Case($"{path} boolean", path, With(path, true));
        yield return Case($"{path} with lone surrogate", path, WithRaw(path, "\"\\ud800\""));
    }

    IEnumerable<BadInput> ContainerValues(string path, string empty)
    {
        yield return Case($"{path} string", path, With(path, "x"));
        yield return Case($"{path} number", path, With(path, 88));
        yield return Case($"{path} boolean", path, With(path, true));
        yield return Case($"{path} wrong container", path, WithRaw(path, empty == "{}" ? "[]" : "{}"));
    }

    static (JsonObject Parent, string Member) Locate(JsonObject body, string path)
    {
        var parts = path.Split('.');
        var parent = body;
        foreach (var part in parts[..^1])
        {
            parent = parent[part] as JsonObject ?? throw new ArgumentException($"'{part}' of '{path}' is not an object in the valid body", nameof(path));
        }

        return (parent, parts[^1]);
    }

    static byte[] Splice(byte[] bytes, int at, byte[] inserted) => [.. bytes[..at], .. inserted, .. bytes[at..]];
}
