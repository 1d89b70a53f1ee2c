using System.Security.Cryptography;
using System.Text;

namespace Mlops.Kafka.Producing;

/// <summary>
/// An event id derived from what the event states rather than drawn at random. Kafka delivers at least once and a
/// handler that fails before its inbox commits runs its whole batch again; when that re-run publishes the same facts
/// under the same ids, every consumer's inbox recognises them (the chaos tests saw PostgreSQL stop between a features
/// batch's publication and its commit, and 12 vectors come out twice under fresh ids).
/// </summary>
public static class NameBasedEventId
{
    /// <summary>
    /// A GUID formed from SHA-256 of the parts joined by line feeds (version nibble 8: custom, RFC 9562). The parts
    /// must identify the fact completely; the first should name the kind of event, so two kinds never share an id.
    /// </summary>
    public static string Of(params ReadOnlySpan<string> parts)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts)), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
