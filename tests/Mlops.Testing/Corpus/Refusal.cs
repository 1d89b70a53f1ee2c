using System.Net.Http.Headers;
using System.Text.Json;

namespace Mlops.Testing.Corpus;

/// <summary>
/// Judges an answer to a bad input: a 4xx problem details body that names the field (an <c>errors</c> key, a JSON
/// path, or the member's name in the detail); for the body as a whole, a detail that says where and why.
/// </summary>
public static class Refusal
{
    /// <summary>Sends <paramref name="c"/> and returns what is wrong with the answer, or null when it is a proper refusal.</summary>
    public static async Task<string?> CheckAsync(HttpClient http, HttpMethod method, string path, BadInput c)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(c.Bytes) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(c.ContentType);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return Judge((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, c);
    }

    /// <summary>What is wrong with an HTTP answer to <paramref name="c"/>, or null.</summary>
    public static string? Judge(int status, string? mediaType, string text, BadInput c)
    {
        if (status is < 400 or >= 500)
        {
            return $"{c.Name}: status {status}: {Cut(text)}";
        }

        if (mediaType != "application/problem+json")
        {
            return $"{c.Name}: status {status} but not problem details ({mediaType}): {Cut(text)}";
        }

        return Names(text, c) ? null : $"{c.Name}: refusal does not name '{c.Field}'{(c.Mentions is null ? "" : $" nor mention '{c.Mentions}'")}: {Cut(text)}";
    }

    /// <summary>True when a problem details body names the field of <paramref name="c"/> (or, for the body, says where and why).</summary>
    public static bool Names(string problemJson, BadInput c)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(problemJson).RootElement;
        }
        catch (JsonException)
        {
            return false;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() ?? "" : "";
        var path = root.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() ?? "" : "";
        var errors = new List<(string Key, string Message)>();
        if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
        {
            foreach (var member in e.EnumerateObject())
            {
                var messages = member.Value.ValueKind == JsonValueKind.Array
                    ? string.Join(" ", member.Value.EnumerateArray().Select(m => m.ToString()))
                    : member.Value.ToString();
                errors.Add((member.Name, messages));
            }
        }

        if (c.Field == "$")
        {
            // The body as a whole: a position for malformed JSON, else the stated reason (content type, size, root kind).
            var text = detail + " " + string.Join(" ", errors.Select(x => x.Key + " " + x.Message));
            return text.Trim().Length > 0 && (c.Mentions is null || text.Contains(c.Mentions, StringComparison.OrdinalIgnoreCase));
        }

        return NamesInText(c.Field, errors.Select(x => x.Key).Append(path).Append(detail).Concat(errors.Select(x => x.Message)));
    }

    /// <summary>True when one of <paramref name="texts"/> names <paramref name="field"/>: exactly, as a JSON path, or as a word.</summary>
    public static bool NamesInText(string field, IEnumerable<string> texts)
    {
        var last = field[(field.LastIndexOf('.') + 1)..];
        foreach (var text in texts)
        {
            if (string.Equals(text, field, StringComparison.OrdinalIgnoreCase) || string.Equals(text, last, StringComparison.OrdinalIgnoreCase)
                || string.Equals(text, "$." + field, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (ContainsWord(text, field) || (field.Contains('.') && ContainsWord(text, last)))
            {
                return true;
            }
        }

        return false;
    }

    static bool ContainsWord(string text, string word)
    {
        for (var at = text.IndexOf(word, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(word, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            var before = at == 0 ? ' ' : text[at - 1];
            var end = at + word.Length;
            var after = end >= text.Length ? ' ' : text[end];
            if (!char.IsLetterOrDigit(before) && !char.IsLetterOrDigit(after))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first 300 characters, for reports.</summary>
    public static string Cut(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
