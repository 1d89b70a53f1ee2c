using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mlops.Cli.Core.Apply;

/// <summary>
/// What <c>mlops apply</c> reads: <c>{ "schemas": [ { "code": …, &lt;schema entry&gt; } ], "featureSets": [ { "name": …,
/// &lt;Features section&gt; } ] }</c>. Only the shape the CLI relies on is checked here (names, objects); the services check
/// the contents, so their rules are never duplicated — and never out of date — in the command.
/// </summary>
public sealed class ApplyFile
{
    static readonly string[] TopLevel = ["schemas", "featureSets"];

    /// <summary>Observation schemas by code, in file order; each body is the entry without <c>code</c>.</summary>
    public List<(string Code, JsonObject Body)> Schemas { get; } = [];

    /// <summary>Feature definition sets by name, in file order; each body is the set without <c>name</c>.</summary>
    public List<(string Name, JsonObject Body)> FeatureSets { get; } = [];

    /// <summary>Every shape problem found, as <c>(field path, message)</c>; empty when the file can be sent.</summary>
    public List<(string Field, string Message)> Problems { get; } = [];

    /// <summary>Reads a file's text; a JSON syntax error is reported as a problem, not thrown.</summary>
    public static ApplyFile Parse(string json)
    {
        var file = new ApplyFile();
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            file.Problems.Add(("$", $"not valid JSON: {ex.Message}"));
            return file;
        }

        if (root is not JsonObject obj)
        {
            file.Problems.Add(("$", "the file must be a JSON object with \"schemas\" and/or \"featureSets\" arrays"));
            return file;
        }

        foreach (var (key, _) in obj.Where(m => !TopLevel.Contains(m.Key, StringComparer.Ordinal)))
        {
            file.Problems.Add((key, $"unknown member '{key}' (expected {string.Join(" or ", TopLevel)})"));
        }

        file.Read(obj, "schemas", "code", file.Schemas);
        file.Read(obj, "featureSets", "name", file.FeatureSets);
        if (file.Schemas.Count == 0 && file.FeatureSets.Count == 0 && file.Problems.Count == 0)
        {
            file.Problems.Add(("$", "nothing to apply: \"schemas\" and \"featureSets\" are both empty or missing"));
        }

        return file;
    }

    void Read(JsonObject root, string member, string key, List<(string, JsonObject)> into)
    {
        if (!root.TryGetPropertyValue(member, out var node) || node is null)
        {
            return;
        }

        if (node is not JsonArray array)
        {
            Problems.Add((member, $"'{member}' must be an array"));
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var field = $"{member}[{i}]";
            if (array[i] is not JsonObject item)
            {
                Problems.Add((field, "must be an object"));
                continue;
            }

            // The key may be spelt in any case, as the services' configuration binding allows.
            var keyMember = item.FirstOrDefault(m => string.Equals(m.Key, key, StringComparison.OrdinalIgnoreCase));
            var name = keyMember.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s.Trim() : null;
            if (string.IsNullOrEmpty(name))
            {
                Problems.Add(($"{field}.{key}", $"'{key}' is required (a non-empty string)"));
                continue;
            }

            if (!seen.Add(name))
            {
                Problems.Add(($"{field}.{key}", $"'{name}' appears more than once in '{member}'"));
                continue;
            }

            if (item.Count == 1)
            {
                Problems.Add((field, $"'{name}' has nothing but its {key}"));
                continue;
            }

            var body = new JsonObject();
            foreach (var (k, value) in item.Where(m => m.Key != keyMember.Key))
            {
                body[k] = value?.DeepClone();
            }

            into.Add((name, body));
        }
    }
}
