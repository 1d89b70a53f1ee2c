using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Mlops.Kafka.CrashingConsumer;
using Mlops.ServiceDefaults;
using Mlops.ServiceDefaults.Health;
using Mlops.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Mlops.Kafka.Tests.Consuming;

/// <summary>
/// The consumer's database goes away for about ten seconds while records keep arriving — through a proxy the test
/// cuts, never by stopping the shared PostgreSQL. Nothing valid may be dead-lettered, lost or applied twice.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class DatabaseOutageTests(KafkaFixture kafka, ITestOutputHelper output)
{
    const int Before = 100;
    const int During = 100;
    const int After = 100;

    [Fact]
    public async Task Consumer_DatabaseCutWhileRecordsStream_PausesAndAppliesEveryRecordExactlyOnceAfterItReturns()
    {
        var runId = PlatformInfrastructure.UniqueName("outage");
        var topic = PlatformInfrastructure.UniqueName("outage-ledger");
        var deadLetters = PlatformInfrastructure.UniqueName("outage-dlq");
        var group = PlatformInfrastructure.UniqueName("outage-group");
        await using var db = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        await LedgerSchema.EnsureAsync(db);
        await Execute(db, "INSERT INTO ledger_totals (run_id, total, applied) VALUES ($1, 0, 0)", runId);
        await kafka.EnsureTopicsAsync(topic, deadLetters);

        var (proxy, viaProxy) = TcpProxy.ForPostgres(PlatformInfrastructure.ConnectionString("tests"));
        await using var _ = proxy;
        using var host = await StartConsumerAsync(topic, group, deadLetters, viaProxy);
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var sequence = 0;
        long expectedTotal = 0;
        async Task ProduceEntriesAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                sequence++;
                expectedTotal += sequence;
                await kafka.Producer.ProduceAsync(topic, $"account-{sequence % 5}", new LedgerEntry { RunId = runId, Account = $"account-{sequence % 5}", Sequence = sequence, Amount = sequence });
            }
        }

        await ProduceEntriesAsync(Before);
        await Eventually.WaitUntilAsync(async () => await Applied(db, runId) == Before, "the records before the outage were applied");

        // The outage: about ten seconds of streaming with the database unreachable, a poison record of each kind among them.
        proxy.Cut();
        var cutAt = Stopwatch.GetTimestamp();
        await kafka.Producer.ProduceRawAsync(topic, "account-1", Encoding.UTF8.GetBytes("{\"id\": 1, not an envelope"));
        var poison = await kafka.Producer.ProduceAsync(topic, "account-2", new LedgerEntry { RunId = runId, Account = "account-2", Sequence = -1, Amount = -7 });
        string? waitReported = null;
        for (var second = 0; second < 10; second++)
        {
            await ProduceEntriesAsync(During / 10);
            var report = await health.CheckHealthAsync(r => r.Tags.Contains(HealthTags.Ready));
            if (report.Entries["kafka-consumers"].Status == HealthStatus.Degraded)
            {
                waitReported ??= report.Entries["kafka-consumers"].Description;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        await Eventually.WaitUntilAsync(async () =>
        {
            var entry = (await health.CheckHealthAsync(r => r.Name == "kafka-consumers")).Entries["kafka-consumers"];
            waitReported ??= entry.Status == HealthStatus.Degraded ? entry.Description : null;
            return waitReported is not null;
        }, "readiness reported the consumer waiting on its database");
        var appliedDuringCut = await Applied(db, runId);
        var outage = Stopwatch.GetElapsedTime(cutAt);
        proxy.Restore();
        var restoredAt = Stopwatch.GetTimestamp();

        await Eventually.WaitUntilAsync(async () => await Applied(db, runId) == Before + During, "the records produced during the outage were applied");
        var recovery = Stopwatch.GetElapsedTime(restoredAt);
        await ProduceEntriesAsync(After);
        await Eventually.WaitUntilAsync(async () => await Applied(db, runId) == Before + During + After, "the records after the outage were applied");
        await Eventually.WaitUntilAsync(async () =>
            (await health.CheckHealthAsync(r => r.Tags.Contains(HealthTags.Ready))).Status == HealthStatus.Healthy, "readiness recovered");
        var deadLettered = (await kafka.ReadAsync(deadLetters, 2)).Select(r => KafkaFixture.ParseDeadLetter(r.Message.Value).Data).ToList();
        await host.StopAsync();

        Assert.Contains("paused", waitReported, StringComparison.Ordinal);
        // Either the database's own error or, for the poison record reached during the cut, the failing readiness check.
        Assert.True(waitReported!.Contains("database did not answer", StringComparison.Ordinal) || waitReported.Contains("postgres is unhealthy", StringComparison.Ordinal), waitReported);
        Assert.Equal(Before, appliedDuringCut);
        Assert.Equal(Before + During + After, await Applied(db, runId));
        Assert.Equal(expectedTotal, await Scalar<long>(db, "SELECT total FROM ledger_totals WHERE run_id = $1", runId));
        Assert.Equal(1, await Scalar<int>(db, "SELECT max(times) FROM ledger_applied WHERE run_id = $1", runId));

        // Only the two poison records were dead-lettered, each with its reason; every valid record was applied.
        Assert.Equal(2, kafka.Count(deadLetters));
        Assert.Contains("not a valid LedgerEntry event envelope", Assert.Single(deadLettered, d => d.FailureKind == "invalid-envelope").Reason, StringComparison.Ordinal);
        var failed = Assert.Single(deadLettered, d => d.FailureKind == "handler-failed");
        Assert.Equal(poison.Id, failed.OriginalEventId);
        Assert.Contains("amount -7 cannot be booked", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("while its dependencies were healthy", failed.Reason, StringComparison.Ordinal);

        var redelivered = await Scalar<long>(db, "SELECT count(*) FROM ledger_duplicates WHERE run_id = $1", runId);
        output.WriteLine($"outage {outage.TotalSeconds:0.0} s; records produced during it {During + 2} (valid {During}); applied during it {appliedDuringCut - Before}; " +
            $"lost 0; applied twice 0; redeliveries absorbed by the inbox {redelivered}; dead-lettered 2 (both poison); " +
            $"recovery (restore → last outage record applied) {recovery.TotalSeconds:0.0} s; readiness said: {waitReported}");
    }

    static async Task<IHost> StartConsumerAsync(string topic, string group, string deadLetters, string connectionString)
    {
        var builder = TestHost.CreateBuilder("kafka-outage-tests", new Dictionary<string, string?>
        {
            ["ConnectionStrings:tests"] = connectionString,
            ["Kafka:DeadLetterTopic"] = deadLetters,
        });
        builder.AddPlatformPostgres("tests");
        builder.AddPlatformKafka();
        builder.Services.AddScoped<LedgerHandler>();
        builder.AddKafkaConsumer<LedgerEntry, OutageLedgerHandler>(group, [topic]);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    static Task<int> Applied(NpgsqlDataSource db, string runId) => Scalar<int>(db, "SELECT applied FROM ledger_totals WHERE run_id = $1", runId);

    static async Task Execute(NpgsqlDataSource db, string sql, params object[] values)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }

    static async Task<T> Scalar<T>(NpgsqlDataSource db, string sql, params object[] values)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }
}
