using System.Diagnostics;
using System.Security.Cryptography;
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
public sealed class ArtifactStore(NpgsqlDataSource dataSource, RegistryStoreOptions options)
{
    readonly SemaphoreSlim _schemaLock = new(1, 1);
    volatile bool _ready;

    readonly string _schema = "\"" + options.ValidatedSchema() + "\"";

    string Table => _schema + ".artifacts";

    public static string Hash(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public async Task<string> PutAsync(byte[] content, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        var sha = Hash(content);
        await using var insert = dataSource.CreateCommand($"INSERT INTO {Table} (sha256, content, size) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING");
        insert.Parameters.Add(new NpgsqlParameter { Value = sha });
        insert.Parameters.Add(new NpgsqlParameter { Value = content });
        insert.Parameters.Add(new NpgsqlParameter { Value = (long)content.Length });
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return sha;
    }

    public async Task<bool> ExistsAsync(string sha256, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var select = dataSource.CreateCommand($"SELECT 1 FROM {Table} WHERE sha256 = $1");
        select.Parameters.Add(new NpgsqlParameter { Value = sha256 });
        return await select.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>The content, verified; null when no artifact has this hash.</summary>
    public async Task<byte[]?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        using var activity = RegistryTelemetry.Source.StartActivity("registry artifact read");
        activity?.SetTag("mlops.artifact.sha256", sha256);
        await using var select = dataSource.CreateCommand($"SELECT content FROM {Table} WHERE sha256 = $1");
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

    async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_ready)
        {
            return;
        }

        await _schemaLock.WaitAsync(cancellationToken);
        try
        {
            // Several replicas may start at once; CREATE … IF NOT EXISTS can still race, so one at a time.
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1))", connection, transaction))
            {
                lockCommand.Parameters.Add(new NpgsqlParameter { Value = "mlops-registry-artifacts-ddl" });
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var create = new NpgsqlCommand(
                $"CREATE SCHEMA IF NOT EXISTS {_schema}; CREATE TABLE IF NOT EXISTS {Table} (sha256 text PRIMARY KEY, content bytea NOT NULL, size bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
                connection, transaction);
            await create.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            _ready = true;
        }
        finally
        {
            _schemaLock.Release();
        }
    }
}
