using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Kafka;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.CrashingConsumer;
using Mlops.Kafka.DeadLetters;
using Mlops.ServiceDefaults;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Kafka.Tests.DeadLetters;

/// <summary>A record dead-lettered by a bug is replayed through the HTTP API once the bug is fixed.</summary>
[Collection(KafkaCollection.Name)]
public sealed class DeadLetterReplayTests(KafkaFixture kafka)
{
    [Fact]
    public async Task Replay_AfterTheFix_AppliesTheRecordOnceAndASecondReplayIsDeduplicated()
    {
        var runId = PlatformInfrastructure.UniqueName("replay");
        var topic = PlatformInfrastructure.UniqueName("replay-ledger");
        var deadLetters = PlatformInfrastructure.UniqueName("replay-dlq");
        await using var db = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        await LedgerSchema.EnsureAsync(db);
        await using (var insert = db.CreateCommand("INSERT INTO ledger_totals (run_id, total, applied) VALUES ($1, 0, 0)"))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = runId });
            await insert.ExecuteNonQueryAsync();
        }

        await kafka.EnsureTopicsAsync(topic, deadLetters);
        var fix = new BugFix();
        await using var app = await StartServiceAsync(topic, deadLetters, fix);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single() + "/") };

        var before = await http.GetFromJsonAsync<JsonObject>("api/deadletters/watermark");
        Assert.Equal((deadLetters, 0L), (before!["topic"]!.GetValue<string>(), before["total"]!.GetValue<long>()));

        var broken = await kafka.Producer.ProduceAsync(topic, "account-1", new LedgerEntry { RunId = runId, Account = "account-1", Sequence = 1, Amount = 40 });
        await kafka.Producer.ProduceAsync(topic, "account-1", new LedgerEntry { RunId = runId, Account = "account-1", Sequence = 2, Amount = 2 });
        await Eventually.WaitUntilAsync(async () => await Scalar<int>(db, "SELECT applied FROM ledger_totals WHERE run_id = $1", runId) == 1, "the record behind the dead letter was applied");

        var listed = await http.GetFromJsonAsync<JsonArray>($"api/deadletters?topic={topic}");
        var entry = Assert.Single(listed!)!;
        Assert.Equal(broken.Id, entry["record"]!["originalEventId"]!.GetValue<string>());
        Assert.Equal("handler-failed", entry["record"]!["failureKind"]!.GetValue<string>());
        Assert.Contains("amount 40 hits a bug", entry["record"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var id = entry["id"]!.GetValue<string>();
        // The dead letter moved the topic's end: what the dashboard's live feed watches instead of reading the topic.
        var after = await http.GetFromJsonAsync<JsonObject>("api/deadletters/watermark");
        Assert.Equal(1L, after!["total"]!.GetValue<long>());
        Assert.Equal(1L, after["ends"]![id.Split('-')[0]]!.GetValue<long>() - long.Parse(id.Split('-')[1]));

        // The log outlives the topic: a replay of the letter that held this position before the dead-letter topic was
        // recreated is not one of this letter's.
        var log = app.Services.GetRequiredService<DeadLetterReplayLog>();
        Assert.True(DeadLetterId.TryParse(id, out var position));
        var earlier = new DeadLetterRecord
        {
            OriginalTopic = topic, OriginalPartition = 0, OriginalOffset = 7_000, OriginalKey = "account-9", ConsumerGroup = "an-earlier-group",
            FailureKind = "handler-failed", Reason = "a letter from before the reset", Attempts = 5, FailedAt = DateTimeOffset.UtcNow.AddDays(-1),
        };
        await log.StartAsync(deadLetters, position, earlier, "carol", "replayed before the topic was recreated", CancellationToken.None);

        var shown = await http.GetFromJsonAsync<JsonObject>($"api/deadletters/{id}");
        Assert.Equal(topic, shown!["record"]!["originalTopic"]!.GetValue<string>());
        Assert.Empty(shown["replays"]!.AsArray());
        Assert.Empty((await http.GetFromJsonAsync<JsonArray>($"api/deadletters?topic={topic}"))!.Single()!["replays"]!.AsArray());

        var unexplained = await http.PostAsJsonAsync($"api/deadletters/{id}/replay", new { by = "alice" });
        Assert.Equal(HttpStatusCode.BadRequest, unexplained.StatusCode);
        Assert.Contains("reason", await unexplained.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        fix.Deployed = true;
        var first = await http.PostAsJsonAsync($"api/deadletters/{id}/replay", new { by = "alice", reason = "amount bug fixed in 1.2.1" });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await Eventually.WaitUntilAsync(async () => await Scalar<int>(db, "SELECT applied FROM ledger_totals WHERE run_id = $1", runId) == 2, "the replayed record was applied");

        var second = await http.PostAsJsonAsync($"api/deadletters/{id}/replay", new { by = "bob", reason = "making sure" });
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        await Eventually.WaitUntilAsync(async () => await Scalar<long>(db, "SELECT count(*) FROM ledger_duplicates WHERE run_id = $1", runId) == 1, "the second replay was turned away as a duplicate");

        Assert.Equal(2, await Scalar<int>(db, "SELECT applied FROM ledger_totals WHERE run_id = $1", runId));
        Assert.Equal(42L, await Scalar<long>(db, "SELECT total FROM ledger_totals WHERE run_id = $1", runId));
        Assert.Equal(1, await Scalar<int>(db, "SELECT times FROM ledger_applied WHERE run_id = $1 AND event_id = $2", runId, broken.Id));

        var replays = (await http.GetFromJsonAsync<JsonObject>($"api/deadletters/{id}"))!["replays"]!.AsArray();
        Assert.Equal(["alice", "bob"], replays.Select(r => r!["replayedBy"]!.GetValue<string>()));
        Assert.Equal("amount bug fixed in 1.2.1", replays[0]!["reason"]!.GetValue<string>());
        Assert.All(replays, r => Assert.Equal(topic, r!["targetTopic"]!.GetValue<string>()));
        Assert.All(replays, r => Assert.NotNull(r!["publishedOffset"]));
        Assert.Equal(1, kafka.Count(deadLetters));
        var logged = await http.GetFromJsonAsync<JsonArray>("api/deadletters/replays");
        Assert.Equal(["bob", "alice", "carol"], logged!.Select(r => r!["replayedBy"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/deadletters/0-999999")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("api/deadletters/not-an-id")).StatusCode);
    }

    static async Task<WebApplication> StartServiceAsync(string topic, string deadLetters, BugFix fix)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = "deadletter-replay-tests", EnvironmentName = "Testing" });
        builder.Configuration.AddConfiguration(PlatformInfrastructure.Configuration);
        builder.Configuration["Kafka:DeadLetterTopic"] = deadLetters;
        builder.WebHost.UseUrls($"http://127.0.0.1:{ServiceProcess.FreePort()}");
        builder.Services.AddSingleton(TestHost.SharedLoggerFactory);
        builder.AddServiceDefaults();
        builder.AddPlatformPostgres("tests");
        builder.AddPlatformKafka();
        builder.AddDeadLetterReplay();
        builder.Services.AddSingleton(fix);
        builder.Services.AddScoped<LedgerHandler>();
        builder.AddKafkaConsumer<LedgerEntry, BuggyLedgerHandler>(PlatformInfrastructure.UniqueName("replay-group"), [topic], o => o.InitialBackoff = TimeSpan.FromMilliseconds(20));
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapDeadLetterApi("/api/deadletters");
        await app.StartAsync();
        return app;
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

/// <summary>Whether the fix for <see cref="BuggyLedgerHandler"/> is deployed.</summary>
public sealed class BugFix
{
    int _deployed;

    public bool Deployed
    {
        get => Volatile.Read(ref _deployed) == 1;
        set => Volatile.Write(ref _deployed, value ? 1 : 0);
    }
}

/// <summary>The ledger handler with a bug on amounts of 40 until the fix is deployed: a deterministic failure.</summary>
public sealed class BuggyLedgerHandler(LedgerHandler inner, BugFix fix) : IKafkaEventHandler<LedgerEntry>
{
    public Task HandleAsync(EventEnvelope<LedgerEntry> envelope, KafkaMessageContext context, CancellationToken cancellationToken) =>
        envelope.Data.Amount == 40 && !fix.Deployed
            ? throw new InvalidOperationException("amount 40 hits a bug")
            : inner.HandleAsync(envelope, context, cancellationToken);
}
