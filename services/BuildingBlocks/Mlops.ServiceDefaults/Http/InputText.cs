using System.Globalization;
using System.Text;

namespace Mlops.ServiceDefaults.Http;

/// <summary>
/// Text a client sends that no store can keep or no reader would expect: control characters (PostgreSQL refuses
/// U+0000 outright, which surfaced as a 500) and unpaired UTF-16 surrogates (not encodable as UTF-8). Callers turn
/// the message into a 400 naming the field, or a rejected/dead-letter record with the reason.
/// </summary>
public static class InputText
{
    /// <summary>Longest identifier accepted anywhere on the platform (PostgreSQL cannot index megabyte keys, and such a value is no id).</summary>
    public const int MaxIdentifierLength = 200;

    /// <summary>Longest free text accepted (a reason, a description): enough for prose, not for a payload smuggled in.</summary>
    public const int MaxFreeTextLength = 32_000;

    /// <summary>
    /// Adds the problem with an identifier to <paramref name="errors"/> (keyed by <paramref name="field"/>): blank when
    /// <paramref name="required"/>, too long, control characters, unpaired surrogates. True when it is acceptable.
    /// </summary>
    public static bool CheckIdentifier(IDictionary<string, string[]> errors, string field, string? value, bool required = true)
    {
        var problem = string.IsNullOrWhiteSpace(value)
            ? (required || value is { Length: > 0 } ? $"{field} is required and must not be blank" : null)
            : value.Length > MaxIdentifierLength
                ? string.Create(CultureInfo.InvariantCulture, $"{field} is {value.Length} characters long; at most {MaxIdentifierLength} are allowed")
                : IdentifierProblem(field, value);
        return Add(errors, field, problem);
    }

    /// <summary>Adds the problem with free text to <paramref name="errors"/>: too long, control characters other than line breaks and tabs, unpaired surrogates.</summary>
    public static bool CheckFreeText(IDictionary<string, string[]> errors, string field, string? value, bool required = false)
    {
        var problem = required && string.IsNullOrWhiteSpace(value)
            ? $"{field} is required and must not be blank"
            : value is { Length: > MaxFreeTextLength }
                ? string.Create(CultureInfo.InvariantCulture, $"{field} is {value.Length} characters long; at most {MaxFreeTextLength} are allowed")
                : FreeTextProblem(field, value);
        return Add(errors, field, problem);
    }

    static bool Add(IDictionary<string, string[]> errors, string field, string? problem)
    {
        if (problem is null)
        {
            return true;
        }

        errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, problem] : [problem];
        return false;
    }

    /// <summary>
    /// An identifier (id, code, name): no control character at all, valid Unicode, and no invisible format character
    /// (zero-width spaces, bidirectional overrides, byte-order marks) or noncharacter — two ids that print the same must
    /// be the same id. Null when acceptable.
    /// </summary>
    public static string? IdentifierProblem(string field, string? value)
    {
        if (Problem(field, value, allowLineBreaks: false) is { } problem)
        {
            return problem;
        }

        for (var i = 0; value is not null && i < value.Length; i++)
        {
            var c = value[i];
            if (char.GetUnicodeCategory(c) == UnicodeCategory.Format || c is '\uFFFE' or '\uFFFF')
            {
                return string.Create(CultureInfo.InvariantCulture, $"{field} contains the invisible character U+{(int)c:X4} at position {i}; format characters and noncharacters are not allowed in identifiers");
            }
        }

        return null;
    }

    /// <summary>Free text (a description): tabs and line breaks allowed, other control characters not. Null when acceptable.</summary>
    public static string? FreeTextProblem(string field, string? value) => Problem(field, value, allowLineBreaks: true);

    static string? Problem(string field, string? value, bool allowLineBreaks)
    {
        if (value is null)
        {
            return null;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c) && !(allowLineBreaks && c is '\t' or '\n' or '\r'))
            {
                return string.Create(CultureInfo.InvariantCulture, $"{field} contains the control character U+{(int)c:X4} at position {i}; control characters are not allowed");
            }

            if (char.IsSurrogate(c))
            {
                if (Rune.DecodeFromUtf16(value.AsSpan(i), out _, out var consumed) != System.Buffers.OperationStatus.Done)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"{field} contains an unpaired UTF-16 surrogate U+{(int)c:X4} at position {i}; it is not valid Unicode");
                }

                i += consumed - 1;
            }
        }

        return null;
    }
}
