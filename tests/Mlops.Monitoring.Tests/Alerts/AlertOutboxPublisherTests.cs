using System.Text.Json;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Alerts;
using Mlops.Monitoring.Storage;
using Mlops.Testing;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Monitoring.Tests.Alerts;

/// <summary>
/// The alert outbox on the real PostgreSQL, published through MassTransit's test harness: the SLO and performance
/// rounds publish from it at once under locks of their own, so a row one publisher holds is never sent by the other.
/// </summary>
public sealed class AlertOutboxPublisherTests : IAsyncLifetime
{
    NpgsqlDataSource _dataSource = null!;
    MonitoringDatabase _database = null!;
    ServiceProvider _provider = null!;
    ITestHarness _harness = null!;
    AlertOutboxPublisher _publisher = null!;

    public async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await PlatformInfrastructure.CreateDatabaseAsync("alert_outbox"));
        _database = new MonitoringDatabase(_dataSource);
        await _database.EnsureAsync(CancellationToken.None);
        _provider = new ServiceCollection().AddMassTransitTestHarness().BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
        _publisher = new AlertOutboxPublisher(_harness.Bus, TimeProvider.System, NullLogger<AlertOutboxPublisher>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    [Fact]
    public async Task PublishPendingAsync_RowHeldByAnotherPublisher_SkipsItUntilReleased()
    {
        var held = await QueueAsync("held");
        var free = await QueueAsync("free");
        await using var other = await _database.OpenConnectionAsync(CancellationToken.None);
        await using (var transaction = await other.BeginTransactionAsync())
        {
            await using var claim = new NpgsqlCommand("SELECT 1 FROM monitoring_alerts WHERE alert_id = $1 FOR UPDATE", other, transaction);
            claim.Parameters.Add(new() { Value = held });
            await claim.ExecuteScalarAsync();

            await PublishAsync();
            Assert.Equal([free], PublishedIds());
            await transaction.RollbackAsync();
        }

        await PublishAsync();
        Assert.Equal(new[] { free, held }.Order(), (PublishedIds()).Order());
        Assert.Equal(0L, await UnpublishedAsync());
    }

    [Fact]
    public async Task PublishPendingAsync_FourPublishersAtOnce_SendEachAlertOnce()
    {
        var queued = new List<Guid>();
        for (var i = 0; i < 200; i++)
        {
            queued.Add(await QueueAsync($"model-{i % 7}"));
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (await UnpublishedAsync() > 0)
            {
                await PublishAsync();
            }
        })));

        var published = PublishedIds();
        Assert.Equal(queued.Order(), published.Order());
    }

    async Task PublishAsync()
    {
        await using var connection = await _database.OpenConnectionAsync(CancellationToken.None);
        await _publisher.PublishPendingAsync(connection, CancellationToken.None);
    }

    // The harness records a publish before Publish returns, so its list is read as it stands.
    List<Guid> PublishedIds() => _harness.Published.Select<SloBreached>().Select(m => m.Context.Message.AlertId).ToList();

    async Task<long> UnpublishedAsync()
    {
        await using var connection = await _database.OpenConnectionAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM monitoring_alerts WHERE published_at IS NULL", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    async Task<Guid> QueueAsync(string model)
    {
        var alert = new SloBreached
        {
            AlertId = NewId.NextGuid(), ModelName = model, ModelVersion = "1", Kind = "latency", Severity = "page", Objective = 0.99,
            LatencyThresholdMs = 250, LongWindow = TimeSpan.FromHours(1), ShortWindow = TimeSpan.FromMinutes(5), BurnRateThreshold = 14.4,
            LongBurnRate = 20, ShortBurnRate = 20, LongBad = 20, LongTotal = 100, ShortBad = 2, ShortTotal = 10, DetectedAt = DateTimeOffset.UtcNow,
        };
        await using var connection = await _database.OpenConnectionAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand("""
            INSERT INTO monitoring_alerts (alert_id, event_type, model_name, model_version, variant, message, detected_at)
            VALUES ($1, 'SloBreached', $2, '1', '*', $3, $4)
            """, connection);
        command.Parameters.Add(new() { Value = alert.AlertId });
        command.Parameters.Add(new() { Value = model });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(alert, JsonSerializerOptions.Web), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = alert.DetectedAt });
        await command.ExecuteNonQueryAsync();
        return alert.AlertId;
    }
}
