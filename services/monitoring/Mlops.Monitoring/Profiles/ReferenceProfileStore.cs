using System.Collections.Concurrent;
using System.Text.Json;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Storage;
using NpgsqlTypes;

namespace Mlops.Monitoring.Profiles;

/// <summary>Reference profiles per model version in monitoring's database; read-through cached (a version's profile never changes).</summary>
public sealed class ReferenceProfileStore(MonitoringDatabase database)
{
    readonly ConcurrentDictionary<(string, string), ReferenceProfile> _cache = new();

    /// <summary>Stores the profile; a redelivered registration leaves the first copy in place.</summary>
    public async Task SaveAsync(string modelName, string modelVersion, ReferenceProfile profile, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new Npgsql.NpgsqlCommand("""
            INSERT INTO reference_profiles (model_name, model_version, training_run_id, feature_set_version, training_rows, profile)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (model_name, model_version) DO NOTHING
            """, connection);
        command.Parameters.Add(new() { Value = modelName });
        command.Parameters.Add(new() { Value = modelVersion });
        command.Parameters.Add(new() { Value = profile.TrainingRunId });
        command.Parameters.Add(new() { Value = profile.FeatureSetVersion });
        command.Parameters.Add(new() { Value = profile.TrainingRows });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(profile, JsonSerializerOptions.Web), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The version's profile, or null when none was stored (yet).</summary>
    public async Task<ReferenceProfile?> GetAsync(string modelName, string modelVersion, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue((modelName, modelVersion), out var cached))
        {
            return cached;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new Npgsql.NpgsqlCommand("SELECT profile::text FROM reference_profiles WHERE model_name = $1 AND model_version = $2", connection);
        command.Parameters.Add(new() { Value = modelName });
        command.Parameters.Add(new() { Value = modelVersion });
        if (await command.ExecuteScalarAsync(cancellationToken) is not string json)
        {
            return null;
        }

        var profile = JsonSerializer.Deserialize<ReferenceProfile>(json, JsonSerializerOptions.Web)!;
        _cache[(modelName, modelVersion)] = profile;
        return profile;
    }
}
