using System.Text.Json;
using Microsoft.Extensions.Options;
using Mlops.Monitoring.Performance;
using Mlops.Monitoring.Retraining;
using Mlops.Monitoring.Slo;
using Mlops.Monitoring.Storage;
using Mlops.ServiceDefaults;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Monitoring.Settings;

/// <summary>
/// Per-model settings set over the API (<c>model_settings</c>), layered over the shipped configuration: a model the files
/// do not name (every team's own model) gets its label, windows and retraining triggers without a redeploy. Every
/// replica reads the table, so a setting made through one holds for all.
/// </summary>
public sealed class ModelSettingsStore(
    NpgsqlDataSource dataSource, IOptionsMonitor<PerformanceOptions> performance, IOptionsMonitor<RetrainingOptions> retraining, IOptionsMonitor<SloOptions> slo)
{
    const string Ddl = """
        CREATE TABLE IF NOT EXISTS model_settings (
            model_name text PRIMARY KEY,
            settings jsonb NOT NULL,
            updated_at timestamptz NOT NULL);
        """;

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    readonly DatabaseSchema _schema = new(dataSource, Ddl, AdvisoryLockKeys.ModelSettingsSchema);

    /// <summary>Stores (replaces) one model's settings.</summary>
    public async Task SaveAsync(string model, ModelSettings settings, CancellationToken ct)
    {
        await using var connection = await _schema.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            INSERT INTO model_settings (model_name, settings, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (model_name) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at
            """, connection);
        command.Parameters.Add(new() { Value = model });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(settings, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = settings.UpdatedAt });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The settings stored for one model, or null.</summary>
    public async Task<ModelSettings?> GetAsync(string model, CancellationToken ct) =>
        (await ReadAsync(model, ct)).TryGetValue(model, out var settings) ? settings : null;

    /// <summary>Every stored model's settings.</summary>
    public Task<Dictionary<string, ModelSettings>> ListAsync(CancellationToken ct) => ReadAsync(null, ct);

    /// <summary>The performance settings of every model configured or stored, each resolved to concrete values.</summary>
    public async Task<Dictionary<string, ModelOutcomeOptions>> OutcomeModelsAsync(CancellationToken ct)
    {
        var options = performance.CurrentValue;
        var models = options.Models.ToDictionary(m => m.Key, m => options.Resolve(m.Value), StringComparer.Ordinal);
        foreach (var (name, settings) in await ListAsync(ct))
        {
            if (settings.Performance is { } stored)
            {
                models[name] = options.Resolve(stored);
            }
        }

        return models;
    }

    /// <summary>
    /// The SLO objectives of every model configured or stored, each resolved to concrete values (a stored part replaces
    /// the configured one; a value it leaves out is the service-wide one). Models in neither get the service-wide ones.
    /// </summary>
    public async Task<Dictionary<string, SloObjectives>> SloObjectivesAsync(CancellationToken ct)
    {
        var options = slo.CurrentValue;
        var models = options.Models.ToDictionary(m => m.Key, m => options.Resolve(m.Value), StringComparer.Ordinal);
        foreach (var (name, settings) in await ListAsync(ct))
        {
            if (settings.Slo is { } stored)
            {
                models[name] = options.Resolve(stored);
            }
        }

        return models;
    }

    /// <summary>What may retrain the model: the stored settings, else the shipped ones, else nothing.</summary>
    public async Task<RetrainingModelOptions?> RetrainingAsync(string model, CancellationToken ct) =>
        (await GetAsync(model, ct))?.Retraining
        ?? (retraining.CurrentValue.Models.TryGetValue(model, out var configured) ? configured : null);

    /// <summary>The canary rollout for the model's candidates.</summary>
    public async Task<RetrainingRolloutOptions> RolloutAsync(string model, CancellationToken ct) =>
        (await RetrainingAsync(model, ct))?.Rollout ?? retraining.CurrentValue.Rollout;

    async Task<Dictionary<string, ModelSettings>> ReadAsync(string? model, CancellationToken ct)
    {
        await using var connection = await _schema.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT model_name, settings::text FROM model_settings WHERE $1::text IS NULL OR model_name = $1", connection);
        command.Parameters.Add(new() { Value = (object?)model ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        var found = new Dictionary<string, ModelSettings>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            found[reader.GetString(0)] = JsonSerializer.Deserialize<ModelSettings>(reader.GetString(1), Json)!;
        }

        return found;
    }
}
