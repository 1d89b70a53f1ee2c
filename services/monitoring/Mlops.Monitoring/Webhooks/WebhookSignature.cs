using System.Security.Cryptography;
using System.Text;

namespace Mlops.Monitoring.Webhooks;

/// <summary>
/// The signature a receiver checks: HMAC-SHA256 with the subscription's secret over <c>{timestamp}.{body}</c>, hex,
/// sent as <c>X-Mlops-Signature: sha256=&lt;hex&gt;</c> with the timestamp (Unix seconds) in <c>X-Mlops-Timestamp</c>
/// — signing the timestamp lets a receiver refuse replays of an old delivery.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-Mlops-Signature";
    public const string TimestampHeader = "X-Mlops-Timestamp";
    public const string EventHeader = "X-Mlops-Event";
    public const string DeliveryHeader = "X-Mlops-Delivery";

    public static string Sign(string secret, long timestamp, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    /// <summary>Constant-time comparison of a received signature with the expected one.</summary>
    public static bool Verify(string secret, long timestamp, string body, string? signature) =>
        signature is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, timestamp, body)), Encoding.ASCII.GetBytes(signature));
}
