using System.Text;

namespace Mlops.Testing.Corpus;

/// <summary>
/// One bad input for an intake: the bytes sent and the field a refusal must name (<c>$</c> for the body as a whole,
/// whose refusal must instead say where and why — a position for malformed JSON, the content type, the size).
/// </summary>
/// <param name="Name">What is wrong, for the failure report.</param>
/// <param name="Field">The member a refusal must name (dotted for nested members), or <c>$</c>.</param>
/// <param name="Bytes">The body exactly as sent (may be invalid UTF-8 on purpose).</param>
/// <param name="ContentType">Content type of an HTTP body.</param>
/// <param name="Mentions">For body-level cases: words the refusal's detail must contain.</param>
public sealed record BadInput(string Name, string Field, byte[] Bytes, string ContentType = "application/json", string? Mentions = null)
{
    /// <summary>A case from text (UTF-8 encoded; a lone surrogate written as a JSON escape stays an escape).</summary>
    public static BadInput Of(string name, string field, string body, string contentType = "application/json", string? mentions = null) =>
        new(name, field, Encoding.UTF8.GetBytes(body), contentType, mentions);

    /// <summary>The body as text, for reports and for transports that carry strings.</summary>
    public string Text => Encoding.UTF8.GetString(Bytes);

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Field})";
}
