namespace Mlops.Gateway.Security;

/// <summary>A key as stored: never the secret, only its hash.</summary>
public sealed record ApiKeyRecord(string Id, string Name, IReadOnlyList<string> Roles, byte[] Hash, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? RevokedAt)
{
    public bool Revoked => RevokedAt is not null;
}
