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
    /// <summary>An identifier (id, code, name): no control character at all, valid Unicode. Null when acceptable.</summary>
    public static string? IdentifierProblem(string field, string? value) => Problem(field, value, allowLineBreaks: false);

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
