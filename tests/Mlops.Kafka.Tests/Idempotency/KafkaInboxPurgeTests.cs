using Microsoft.Extensions.DependencyInjection;
using Mlops.Kafka.Idempotency;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Kafka.Tests.Idempotency;

/// <summary>The inbox forgets ids past its retention — and only those — on a database of the test's own.</summary>
public sealed class KafkaInboxPurgeTests
{
    const string Group = "purge-tests";

    [Fact]
    public async Task Purge_IdsOlderThanTheCutoff_AreForgottenAndNewerOnesStillStopARedelivery()
    {
        await using var db = NpgsqlDataSource.Create(await PlatformInfrastructure.CreateDatabaseAsync("inbox"));
        var use = new KafkaInboxUse();
        var inbox = new KafkaInbox(db, use);
        Assert.False(use.FirstUse.IsCompleted);

        foreach (var id in new[] { "old-1", "old-2", "recent-1" })
        {
            Assert.True(await ApplyAsync(inbox, id));
        }

        Assert.Same(inbox, await use.FirstUse);
        await ExecuteAsync(db, "UPDATE kafka_inbox SET processed_at = now() - interval '9 days' WHERE event_id LIKE 'old-%'");
        // Enough old ids to take more than one chunk of the delete.
        await ExecuteAsync(db, """
            INSERT INTO kafka_inbox (consumer_group, event_id, topic, processed_at)
            SELECT 'other-group', 'bulk-' || i, 't', now() - interval '30 days' FROM generate_series(1, 25000) AS i
            """);

        Assert.Equal(25_002, await inbox.PurgeAsync(DateTimeOffset.UtcNow.AddDays(-8), CancellationToken.None));

        Assert.False(await ApplyAsync(inbox, "recent-1"), "an id inside the retention still marks its redelivery a duplicate");
        Assert.True(await ApplyAsync(inbox, "old-1"), "an id past the retention is forgotten");
        Assert.Equal(0, await inbox.PurgeAsync(DateTimeOffset.UtcNow.AddDays(-8), CancellationToken.None));
    }

    [Fact]
    public async Task Purger_InAServiceHost_StartsOnFirstUseAndForgetsWhatIsPastTheRetention()
    {
        var connectionString = await PlatformInfrastructure.CreateDatabaseAsync("inbox");
        var builder = TestHost.CreateBuilder("inbox-purge-tests", new Dictionary<string, string?>
        {
            ["Kafka:Inbox:Retention"] = "01:00:00",
            ["Kafka:Inbox:PurgeInterval"] = "00:00:01",
        });
        builder.Services.AddSingleton(NpgsqlDataSource.Create(connectionString));
        builder.AddPlatformKafka();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var db = host.Services.GetRequiredService<NpgsqlDataSource>();
            var inbox = host.Services.GetRequiredService<KafkaInbox>();
            Assert.True(await ApplyAsync(inbox, "recent"));
            Assert.True(await ApplyAsync(inbox, "old"));
            await ExecuteAsync(db, "UPDATE kafka_inbox SET processed_at = now() - interval '2 hours' WHERE event_id = 'old'");

            await Eventually.WaitUntilAsync(async () => await CountAsync(db) == 1, "the id past the one-hour retention purged");
            Assert.False(await ApplyAsync(inbox, "recent"));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void Options_RetentionBelowAnHour_FailsAtStart()
    {
        var builder = TestHost.CreateBuilder("inbox-options-tests", new Dictionary<string, string?> { ["Kafka:Inbox:Retention"] = "00:05:00" });
        builder.AddPlatformKafka();
        using var host = builder.Build();
        var error = Assert.ThrowsAny<Exception>(() => host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<KafkaInboxOptions>>().Value);
        Assert.Contains("Retention", error.Message);
    }

    static Task<bool> ApplyAsync(KafkaInbox inbox, string eventId) =>
        inbox.ApplyOnceAsync(Group, eventId, "purge-topic", (_, _) => Task.CompletedTask, CancellationToken.None);

    static async Task ExecuteAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    static async Task<long> CountAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM kafka_inbox");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
