using System.Diagnostics;
using Mlops.Kafka.CrashingConsumer;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Kafka.Tests.Consuming;

/// <summary>
/// A consumer process is killed (SIGKILL) after applying some events whose offsets were not yet committed,
/// then restarted: every event must end up applied exactly once.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class ConsumerCrashTests(KafkaFixture kafka)
{
    const int EventCount = 400;
    const int KillAfter = 250;
    const int CommitEvery = 100;

    [Fact]
    public async Task ConsumerProcess_KilledMidBatchAndRestarted_AppliesEveryEventExactlyOnce()
    {
        var runId = PlatformInfrastructure.UniqueName("run");
        var topic = PlatformInfrastructure.UniqueName("ledger");
        var group = PlatformInfrastructure.UniqueName("ledger-group");
        await using var db = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        await LedgerSchema.EnsureAsync(db);
        await Execute(db, "INSERT INTO ledger_totals (run_id, total, applied) VALUES ($1, 0, 0)", runId);

        await kafka.EnsureTopicsAsync(topic);
        for (var i = 1; i <= EventCount; i++)
        {
            await kafka.Producer.ProduceAsync(topic, $"account-{i % 7}", new LedgerEntry { RunId = runId, Account = $"account-{i % 7}", Sequence = i, Amount = i });
        }

        using (var doomed = StartConsumer(topic, group, KillAfter))
        {
            var exited = doomed.WaitForExit(TimeSpan.FromMinutes(2));
            if (!exited)
            {
                doomed.Kill(entireProcessTree: true); // never leave a consumer running after a failed test
            }

            Assert.True(exited, "the consumer process should have killed itself; its output:\n" + ConsumerOutput);
            Assert.NotEqual(0, doomed.ExitCode);
        }

        Assert.Equal(KillAfter, await Scalar<int>(db, "SELECT applied FROM ledger_totals WHERE run_id = $1", runId));

        using (var survivor = StartConsumer(topic, group, killAfter: 0))
        {
            try
            {
                await Eventually.WaitUntilAsync(
                    async () => await Scalar<int>(db, "SELECT applied FROM ledger_totals WHERE run_id = $1", runId) >= EventCount,
                    "the restarted consumer applied every event");
            }
            finally
            {
                survivor.Kill(entireProcessTree: true);
                await survivor.WaitForExitAsync();
            }
        }

        Assert.Equal(EventCount, await Scalar<int>(db, "SELECT applied FROM ledger_totals WHERE run_id = $1", runId));
        Assert.Equal((long)EventCount * (EventCount + 1) / 2, await Scalar<long>(db, "SELECT total FROM ledger_totals WHERE run_id = $1", runId));
        Assert.Equal(EventCount, await Scalar<long>(db, "SELECT count(*) FROM ledger_applied WHERE run_id = $1", runId));
        Assert.Equal(1, await Scalar<int>(db, "SELECT max(times) FROM ledger_applied WHERE run_id = $1", runId));

        // Offsets were committed after 100 and 200 events, so events 201..250 came again after the restart
        // and the inbox turned each of them away.
        Assert.Equal(KillAfter - (KillAfter / CommitEvery * CommitEvery), await Scalar<long>(db, "SELECT count(DISTINCT event_id) FROM ledger_duplicates WHERE run_id = $1", runId));
    }

    static readonly System.Collections.Concurrent.ConcurrentQueue<string> Output = new();

    static void Capture(string? line)
    {
        if (line is not null)
        {
            Output.Enqueue(line);
        }
    }

    static string ConsumerOutput => string.Join(Environment.NewLine, Output.TakeLast(40));

    static Process StartConsumer(string topic, string group, int killAfter)
    {
        var dll = typeof(LedgerEntry).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--Topic", topic, "--Group", group, "--KillAfter", killAfter.ToString(System.Globalization.CultureInfo.InvariantCulture), "--CommitEvery", CommitEvery.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PLATFORM_ENV_FILE"] = PlatformInfrastructure.EnvFilePath;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the consumer process");
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

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
