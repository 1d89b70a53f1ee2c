using System.Diagnostics;
using System.Security.Cryptography;
using Mlops.ServiceDefaults;
using Npgsql;

namespace Mlops.Registry.Artifacts;

/// <summary>The stored bytes no longer match the SHA-256 they are addressed by; they are never served.</summary>
public sealed class ArtifactTamperedException(string sha256, string actual)
    : Exception($"Artifact {sha256} failed its integrity check (content hashes to {actual}); refusing to serve it.")
{
    public string Sha256 { get; } = sha256;
}

/// <summary>
/// Model artifacts addressed by the SHA-256 of their content, stored as bytea in the registry's own schema (one
/// transactional store with the events, one backup). The hash is recomputed on every read; a mismatch is refused.
/// </summary>
public sealed class ArtifactStore
{
    readonly NpgsqlDataSource _dataSource;
    readonly DatabaseSchema _schema;
    readonly string _table;

    public ArtifactStore(NpgsqlDataSource dataSource, RegistryStoreOptions options)
    {
        _dataSource = dataSource;
        var schema = "\"" + options.ValidatedSchema() + "\"";
        _table = schema + ".artifacts";
        // Created on first use (a registry starts while its database is down), one process at a time.
        _schema = new DatabaseSchema(
            dataSource,
            $"CREATE SCHEMA IF NOT EXISTS {schema}; CREATE TABLE IF NOT EXISTS {_table} (sha256 text PRIMARY KEY, content bytea NOT NULL, size bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
            advisoryLockKey: 0x6D6C6F7073_0A57);
    }

    public static string Hash(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public async Task<string> PutAsync(byte[] content, CancellationToken cancellationToken)
    {
        await _schema.EnsureAsync(cancellationToken);
        var sha = Hash(content);
        await using var insert = _dataSource.CreateCommand($"INSERT INTO {_table} (sha256, content, size) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING");
        insert.Parameters.Add(new NpgsqlParameter { Value = sha });
        insert.Parameters.Add(new NpgsqlParameter { Value = content });
        insert.Parameters.Add(new NpgsqlParameter { Value = (long)content.Length });
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return sha;
    }

    public async Task<bool> ExistsAsync(string sha256, CancellationToken cancellationToken)
    {
        await _schema.EnsureAsync(cancellationToken);
        await using var select = _dataSource.CreateCommand($"SELECT 1 FROM {_table} WHERE sha256 = $1");
        select.Parameters.Add(new NpgsqlParameter { Value = sha256 });
        return await select.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>The content, verified; null when no artifact has this hash.</summary>
    public async Task<byte[]?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        await _schema.EnsureAsync(cancellationToken);
        using var activity = RegistryTelemetry.Source.StartActivity("registry artifact read");
        activity?.SetTag("mlops.artifact.sha256", sha256);
        await using var select = _dataSource.CreateCommand($"SELECT content FROM {_table} WHERE sha256 = $1");
        select.Parameters.Add(new NpgsqlParameter { Value = sha256 });
        if (await select.ExecuteScalarAsync(cancellationToken) is not byte[] content)
        {
            return null;
        }

        var actual = Hash(content);
        if (actual != sha256)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "tampered");
            RegistryTelemetry.TamperedArtifacts.Add(1);
            throw new ArtifactTamperedException(sha256, actual);
        }

        return content;
    }
}
