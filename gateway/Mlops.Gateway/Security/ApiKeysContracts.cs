namespace Mlops.Gateway.Security;

/// <summary>Asks for a new key.</summary>
public sealed record CreateKeyRequest
{
    /// <summary>Who or what will use the key (a person, a service, a pipeline).</summary>
    public string? Name { get; init; }

    /// <summary>Any of <c>ingest</c>, <c>predict</c>, <c>train</c>, <c>operate</c>, <c>admin</c>.</summary>
    public List<string>? Roles { get; init; }
}

/// <summary>A key as listed: never its secret.</summary>
public sealed record KeyInfo(string Id, string Name, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? RevokedAt)
{
    public bool Revoked => RevokedAt is not null;

    public static KeyInfo From(ApiKeyRecord key) => new(key.Id, key.Name, key.Roles, key.CreatedAt, key.CreatedBy, key.RevokedAt);
}

/// <summary>A new key: <see cref="Key"/> is shown this once and cannot be read again.</summary>
public sealed record CreatedKey(string Id, string Name, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt, string Key);
