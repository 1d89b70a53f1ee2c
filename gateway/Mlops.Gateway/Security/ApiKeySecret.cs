using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Mlops.Gateway.Security;

/// <summary>
/// The text of a key: <c>mlk_{id}_{secret}</c>. The id is public (it names the key in lists, logs and rate-limit
/// partitions, and finds its row); the secret is at least 128 random bits and is kept only as its SHA-256. A fast hash
/// is enough for secrets of that entropy — there is nothing to guess from a dictionary.
/// </summary>
public static class ApiKeySecret
{
    public const string Prefix = "mlk_";

    const int MinimumSecretLength = 32;
    const int MaximumKeyLength = 200;

    /// <summary>A new key: 12 hex characters of id, 256 random bits of secret (base64url).</summary>
    public static (string Id, string Key) Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (id, $"{Prefix}{id}_{secret}");
    }

    /// <summary>Splits a presented key into id and secret; false when it is not in the gateway's format.</summary>
    public static bool TryParse(string? key, [NotNullWhen(true)] out string? id, [NotNullWhen(true)] out string? secret)
    {
        id = secret = null;
        if (key is null || key.Length > MaximumKeyLength || !key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var separator = key.IndexOf('_', Prefix.Length);
        if (separator <= Prefix.Length || key.Length - separator - 1 < MinimumSecretLength)
        {
            return false;
        }

        var candidate = key[Prefix.Length..separator];
        if (!candidate.All(char.IsAsciiLetterOrDigit))
        {
            return false;
        }

        id = candidate.ToLowerInvariant();
        secret = key[(separator + 1)..];
        return true;
    }

    /// <summary>What is stored: SHA-256 of the secret's UTF-8 bytes.</summary>
    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Whether <paramref name="secret"/> hashes to <paramref name="storedHash"/>, in time independent of where they differ.</summary>
    public static bool Matches(string secret, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(secret), storedHash);

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
