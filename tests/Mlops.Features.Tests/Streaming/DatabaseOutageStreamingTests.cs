using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Confluent.Kafka;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Features;
using Mlops.Contracts.Ingestion;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Mlops.Features.Tests.Streaming;

/// <summary>
/// The measured failure, replayed without stopping the shared PostgreSQL: the features database is cut (through a
/// proxy) for about ten seconds while observations stream. Before, the batch consumer dead-lettered valid observations
/// after five quick retries; now it pauses, waits, and applies every one exactly once when the database is back.
/// </summary>
public sealed class DatabaseOutageStreamingTests(ITestOutputHelper output) : IAsyncLifetime
{
    const int Entities = 5;
    const int PerEntityPerSecond = 4;

    readonly string _observations = PlatformInfrastructure.UniqueName("obs");
    readonly string _deadLetters = PlatformInfrastructure.UniqueName("deadletter");
    readonly string _group = PlatformInfrastructure.UniqueName("stream");
    TcpProxy _proxy = null!;
    string _direct = "";
    OutageFeatures _service = null!;

    public async Task InitializeAsync()
    {
        _direct = await PlatformInfrastructure.CreateDatabaseAsync("features_outage");
        var (proxy, viaProxy) = TcpProxy.ForPostgres(_direct);
        _proxy = proxy;
        _service = new OutageFeatures(viaProxy, _observations, _deadLetters, _group);
        _ = _service.Server;
        await _service.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([_observations, _deadLetters]);
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task Stream_DatabaseCutForTenSeconds_NothingDeadLetteredAndEveryObservationAppliedOnce()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var producer = _service.Services.GetRequiredService<IEventProducer>();
        using var http = _service.CreateClient();
        await using var db = NpgsqlDataSource.Create(_direct);
        var sent = 0;
        var start = DateTimeOffset.UtcNow.AddHours(-6);
        async Task StreamSecondAsync()
        {
            for (var i = 0; i < Entities * PerEntityPerSecond; i++, sent++)
            {
                var observation = new ObservationAccepted
                {
                    ObservationId = $"o{run}-{sent}",
                    EntityId = $"p{run}-{sent % Entities}",
                    EntityType = "patient",
                    Code = "heart_rate",
                    Value = 60 + sent % 50,
                    Unit = "/min",
                    EventTime = start.AddSeconds(sent),
                    RecordedAt = start.AddSeconds(sent + 1),
                    SourceSystem = "outage-test",
                    Sequence = sent,
                };
                await producer.ProduceEnvelopeAsync(_observations, FeaturesServiceFixture.Envelope(observation));
            }
        }

        await StreamSecondAsync();
        await Eventually.WaitUntilAsync(async () => await AppliedAsync(db, run) == sent, "the stream before the outage was applied");
        var label = new LabelRecorded { LabelId = $"l{run}", EntityId = $"p{run}-0", Name = "deterioration", Value = 1, EventTime = DateTimeOffset.UtcNow };

        _proxy.Cut();
        var beforeCut = sent;
        var cutAt = Stopwatch.GetTimestamp();
        var readinessDuringCut = "";
        for (var second = 0; second < 10; second++)
        {
            await StreamSecondAsync();
            var ready = await http.GetAsync("/health/ready");
            var body = await ready.Content.ReadAsStringAsync();
            if (body.Contains("paused", StringComparison.Ordinal))
            {
                readinessDuringCut = body;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        await Eventually.WaitUntilAsync(async () =>
        {
            var body = await (await http.GetAsync("/health/ready")).Content.ReadAsStringAsync();
            readinessDuringCut = body.Contains("paused", StringComparison.Ordinal) ? body : readinessDuringCut;
            return readinessDuringCut.Length > 0;
        }, "readiness reported the streaming consumer waiting on its database");
        var labelDuringCut = await http.PostAsJsonAsync("/api/features/labels", label);
        var appliedDuringCut = await AppliedAsync(db, run);
        var outage = Stopwatch.GetElapsedTime(cutAt);
        _proxy.Restore();
        var restoredAt = Stopwatch.GetTimestamp();

        await Eventually.WaitUntilAsync(async () => await AppliedAsync(db, run) == sent, "every observation streamed during the outage was applied");
        var recovery = Stopwatch.GetElapsedTime(restoredAt);
        HttpResponseMessage labelAfter = null!;
        await Eventually.WaitUntilAsync(async () =>
        {
            labelAfter = await http.PostAsJsonAsync("/api/features/labels", label);
            return labelAfter.StatusCode != HttpStatusCode.ServiceUnavailable;
        }, "the label was taken after the database came back");
        await Eventually.WaitUntilAsync(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, "readiness recovered");

        Assert.Contains("\"kafka-consumers\":{\"status\":\"Degraded\"", readinessDuringCut, StringComparison.Ordinal);
        Assert.Contains(_group, readinessDuringCut, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, labelDuringCut.StatusCode);
        Assert.NotNull(labelDuringCut.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.Accepted, labelAfter.StatusCode);
        Assert.Equal(beforeCut, appliedDuringCut);
        Assert.Equal(sent, await AppliedAsync(db, run));
        Assert.Equal(sent, await ScalarAsync(db, "SELECT count(*) FROM kafka_inbox WHERE consumer_group = $1", _group));
        Assert.Equal(0, DeadLetterCount());

        output.WriteLine($"outage {outage.TotalSeconds:0.0} s; observations streamed during it {sent - beforeCut}; applied during it {appliedDuringCut - beforeCut}; " +
            $"dead-lettered 0; lost 0; applied twice 0 (inbox rows = observations = {sent}); recovery (restore → all applied) {recovery.TotalSeconds:0.0} s");
    }

    static Task<long> AppliedAsync(NpgsqlDataSource db, string run) =>
        ScalarAsync(db, "SELECT count(*) FROM feature_observations WHERE observation_id LIKE $1", $"o{run}-%");

    static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql, object value)
    {
        await using var command = db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        try
        {
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0; // the service creates its tables on first use
        }
    }

    long DeadLetterCount()
    {
        var factory = _service.Services.GetRequiredService<KafkaClientConfigFactory>();
        using var admin = new AdminClientBuilder(factory.CreateAdminConfig("test-counter")).SetLogHandler((_, _) => { }).Build();
        var partitions = admin.GetMetadata(_deadLetters, TimeSpan.FromSeconds(10)).Topics.Single().Partitions;
        using var consumer = new ConsumerBuilder<string?, byte[]>(factory.CreateConsumerConfig(PlatformInfrastructure.UniqueName("counter"), "test-counter"))
            .SetLogHandler((_, _) => { }).Build();
        return partitions.Sum(p => consumer.QueryWatermarkOffsets(new TopicPartition(_deadLetters, p.PartitionId), TimeSpan.FromSeconds(10)).High.Value);
    }

    sealed class OutageFeatures(string connectionString, string observations, string deadLetters, string group) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:features", connectionString);
            builder.UseSetting("Features:Topics:Observations", observations);
            builder.UseSetting("Features:Topics:Labels", PlatformInfrastructure.UniqueName("labels"));
            builder.UseSetting("Features:Topics:Features", PlatformInfrastructure.UniqueName("features"));
            builder.UseSetting("Features:Topics:ObservationGroup", group);
            builder.UseSetting("Features:Topics:LabelGroup", PlatformInfrastructure.UniqueName("labels"));
            builder.UseSetting("Kafka:DeadLetterTopic", deadLetters);
            builder.UseEnvironment("Testing");
        }
    }
}
