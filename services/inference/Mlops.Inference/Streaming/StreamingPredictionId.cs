using System.Security.Cryptography;
using System.Text;

namespace Mlops.Inference.Streaming;

/// <summary>
/// The <c>predictionId</c> of a streamed prediction, derived from what it scores: the feature event, the model and its
/// version. Kafka delivers a feature event at least once (a restart re-reads everything after the last commit), and a
/// redelivered event is scored again with the same result; with a name-based id the repeat is recognisably the same
/// prediction, so consumers deduplicate by <c>predictionId</c> (the chaos tests found 11 extra predictions with fresh
/// ids after one SIGKILL of inference). HTTP predictions keep their random GUID v7: every request is a new prediction.
/// </summary>
public static class StreamingPredictionId
{
    /// <summary>A GUID formed from SHA-256 of the three parts (version nibble 8: custom, RFC 9562).</summary>
    public static string For(string featureEventId, string modelName, string modelVersion)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{featureEventId}\n{modelName}\n{modelVersion}"), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
