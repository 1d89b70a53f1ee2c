using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Ingestion;
using Mlops.Kafka;
using Mlops.Testing;
using Mlops.Testing.Corpus;
using Npgsql;
using Xunit.Abstractions;

namespace Mlops.Ingestion.Tests.Corpus;

/// <summary>
/// Generated bad records on the raw Kafka topic (<c>observations.raw.v1</c>): each must come back on the rejected
/// topic under its own key with a reason naming the field (the JSON path and position for unreadable values), none
/// may be stored or published, and valid records sent between them are still accepted.
/// </summary>
[Collection(IngestionCollection.Name)]
public sealed class RawTopicBadInputCorpusTests(IngestionServiceFixture service, ITestOutputHelper output)
{
    readonly string _run = Guid.NewGuid().ToString("N")[..10];
    int _next;

    [Fact]
    public async Task BadRecords_OnTheRawTopic_AreRejectedNamingTheFieldAndValidOnesAroundThemAreStored()
    {
        // The broker refuses records over 1 MB itself (the producer gets "message size too large"), so the corpus stops just below.
        var cases = Cases().Where(c => c.Bytes.Length < 999_000).ToList();
        var config = service.Services.GetRequiredService<KafkaClientConfigFactory>().CreateProducerConfig("corpus-producer");
        using var producer = new ProducerBuilder<string?, byte[]>(config).SetLogHandler((_, _) => { }).Build();

        var keys = new Dictionary<string, BadInput>(StringComparer.Ordinal);
        var good = new List<string>();
        for (var i = 0; i < cases.Count; i++)
        {
            var key = $"rcorpus-{_run}-bad-{i}";
            keys[key] = cases[i];
            await producer.ProduceAsync(service.RawTopic, new Message<string?, byte[]> { Key = key, Value = cases[i].Bytes });
            if (i % 20 == 0)
            {
                var id = $"rcorpus-{_run}-good-{i}";
                good.Add(id);
                await producer.ProduceAsync(service.RawTopic, new Message<string?, byte[]> { Key = "rcorpus-good", Value = Encoding.UTF8.GetBytes(Envelope(Data(id)).ToJsonString()) });
            }
        }

        producer.Flush(TimeSpan.FromSeconds(10));

        var answers = await ReadRejectionsAsync(keys.Keys.ToHashSet(StringComparer.Ordinal), good.Count);
        var failures = new List<string>();
        foreach (var (key, c) in keys)
        {
            if (!answers.TryGetValue(key, out var rejected))
            {
                failures.Add($"{c.Name}: no refusal on the rejected topic");
            }
            else if (!NamesField(rejected, c))
            {
                failures.Add($"{c.Name}: refusal does not name '{c.Field}': {Refusal.Cut(JsonSerializer.Serialize(rejected.Errors))}");
            }
        }

        output.WriteLine($"{cases.Count} cases, {cases.Count - failures.Count} refused naming the field, {failures.Count} failed");

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));
        Assert.True(cases.Count >= 200, $"the corpus has only {cases.Count} cases");

        await using var db = service.CreateDataSource();
        await Eventually.WaitUntilAsync(async () => await CountAsync(db, $"rcorpus-{_run}-good-%") == good.Count, "the valid records between the bad ones were stored");
        Assert.Equal(0L, await CountAsync(db, $"rcorpus-{_run}-bad-%"));
        Assert.Equal(0L, await CountBySourceAsync(db, $"rcorpus-{_run}-bad-%"));
    }

    /// <summary>Reads the rejected topic until every key has its refusal (or 60 s pass), keeping the last refusal per key.</summary>
    async Task<Dictionary<string, ObservationRejected>> ReadRejectionsAsync(HashSet<string> keys, int goodCount)
    {
        var config = service.Services.GetRequiredService<KafkaClientConfigFactory>().CreateConsumerConfig(PlatformInfrastructure.UniqueName("rcorpus-reader"), "rcorpus-reader");
        using var consumer = new ConsumerBuilder<string?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(service.RejectedTopic);
        var answers = new Dictionary<string, ObservationRejected>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        try
        {
            while (answers.Count < keys.Count && DateTime.UtcNow < deadline)
            {
                var result = await Task.Run(() => consumer.Consume(TimeSpan.FromMilliseconds(200)));
                if (result?.Message?.Key is { } key && keys.Contains(key))
                {
                    answers[key] = EnvelopeSerializer.Deserialize<ObservationRejected>(result.Message.Value).Data;
                }
            }
        }
        finally
        {
            consumer.Close();
        }

        return answers;
    }

    static bool NamesField(ObservationRejected rejected, BadInput c)
    {
        if (rejected.Errors.Count == 0 || rejected.Errors.Any(e => string.IsNullOrWhiteSpace(e.Message)))
        {
            return false;
        }

        if (c.Name.EndsWith("nested 1000 levels", StringComparison.Ordinal))
        {
            // Deeper than the JSON reader's limit (64): refused while the value is read, before any member is, so the
            // refusal gives the path down to where it stopped and the byte position rather than the member's name.
            return rejected.Errors.Any(e => (e.Message.Contains("depth", StringComparison.Ordinal) && e.Message.Contains("BytePositionInLine", StringComparison.Ordinal))
                || Refusal.NamesInText(c.Field, [e.Field, e.Message]));
        }

        if (c.Field == "$")
        {
            var text = string.Join(" ", rejected.Errors.Select(e => e.Message));
            return c.Mentions is null || text.Contains(c.Mentions, StringComparison.OrdinalIgnoreCase);
        }

        return rejected.Errors.Any(e => Refusal.NamesInText(c.Field, [e.Field, e.Message]));
    }

    static async Task<long> CountAsync(NpgsqlDataSource db, string pattern)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM observations WHERE observation_id LIKE $1");
        command.Parameters.Add(new NpgsqlParameter { Value = pattern });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    static async Task<long> CountBySourceAsync(NpgsqlDataSource db, string pattern)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM observations WHERE source_system LIKE $1");
        command.Parameters.Add(new NpgsqlParameter { Value = pattern });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    JsonObject Data(string? id = null)
    {
        id ??= $"rcorpus-{_run}-bad-{Interlocked.Increment(ref _next)}";
        return new JsonObject
        {
            ["observationId"] = id,
            ["entityId"] = "rcorpus-patient",
            ["code"] = "heart_rate",
            ["value"] = 92,
            ["unit"] = "/min",
            ["eventTime"] = DateTimeOffset.UtcNow.AddMinutes(-10).ToString("O"),
            ["availableTime"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O"),
            // The source system carries the id too, so a case that breaks observationId is still traceable in the store.
            ["sourceSystem"] = id,
        };
    }

    static JsonObject Envelope(JsonObject data) => new()
    {
        ["id"] = Guid.NewGuid().ToString(),
        ["source"] = "/upstream/monitor-bus",
        ["type"] = "mlops.ingestion.raw-observation.v1",
        ["specversion"] = "1.0",
        ["time"] = DateTimeOffset.UtcNow.ToString("O"),
        ["subject"] = "rcorpus-patient",
        ["data"] = data,
    };

    IEnumerable<BadInput> Cases()
    {
        var json = new BadJson(() => Envelope(Data()));
        foreach (var field in new[] { "observationId", "entityId", "code", "sourceSystem" })
        {
            foreach (var c in json.Field("data." + field, FieldKind.Identifier))
            {
                yield return c;
            }
        }

        foreach (var c in json.Field("data.unit", FieldKind.Identifier, required: false))
        {
            yield return c;
        }

        foreach (var c in json.Field("data.value", FieldKind.Number))
        {
            yield return c;
        }

        foreach (var c in json.Field("data.eventTime", FieldKind.Time))
        {
            yield return c;
        }

        foreach (var c in json.Field("data.availableTime", FieldKind.Time, required: false))
        {
            yield return c;
        }

        // Out of range: values the schema refuses, times the platform refuses.
        yield return BadJson.Case("value too high", "data.value", json.With("data.value", 100_000));
        yield return BadJson.Case("value negative", "data.value", json.With("data.value", -92));
        yield return BadJson.Case("value string out of range", "data.value", json.With("data.value", "3000"));
        yield return BadJson.Case("value 1e308", "data.value", json.With("data.value", 1e308));
        yield return BadJson.Case("eventTime in year 2999", "data.eventTime", json.With("data.eventTime", "2999-01-01T00:00:00Z"));
        yield return BadJson.Case("eventTime one hour ahead", "data.eventTime", json.With("data.eventTime", DateTimeOffset.UtcNow.AddHours(1).ToString("O")));
        yield return BadJson.Case("eventTime year 0001", "data.eventTime", json.With("data.eventTime", "0001-01-01T00:00:00Z"));
        yield return BadJson.Case("availableTime before eventTime", "data.availableTime", json.With("data.availableTime", DateTimeOffset.UtcNow.AddHours(-1).ToString("O")));
        foreach (var code in new[] { "heart-rate", "unknown_code", "heart_rate; DROP TABLE observations", "💓", "../etc/passwd" })
        {
            yield return BadJson.Case($"code '{code}'", "data.code", json.With("data.code", code));
        }

        foreach (var unit in new[] { "bpm ", "Cel", "%", "mm[Hg]" })
        {
            yield return BadJson.Case($"unit '{unit}'", "data.unit", json.With("data.unit", unit));
        }

        // Near the broker's record limit (1 MB): refused and the refusal still fits on the rejected topic.
        yield return BadJson.Case("entityId 990 KB", "data.entityId", json.With("data.entityId", new string('e', 990_000)));
        yield return BadJson.Case("value 990 KB string", "data.value", json.With("data.value", new string('9', 990_000)));

        // The envelope around the observation.
        foreach (var member in new[] { "id", "source", "type", "time", "subject" })
        {
            yield return BadJson.Case($"envelope {member} missing", member, json.Without(member));
            yield return BadJson.Case($"envelope {member} number", member, json.With(member, 88));
            yield return BadJson.Case($"envelope {member} object", member, json.With(member, new JsonObject { ["a"] = 1 }));
        }

        yield return BadJson.Case("envelope id empty", "id", json.With("id", ""));
        yield return BadJson.Case("envelope time not a time", "time", json.With("time", "not-a-time"));
        yield return BadJson.Case("envelope time 2024-02-30", "time", json.With("time", "2024-02-30T00:00:00Z"));
        yield return BadJson.Case("data missing", "data", json.Without("data"));
        yield return BadJson.Case("data null", "data", json.With("data", null));
        yield return BadJson.Case("data string", "data", json.With("data", "heart_rate=92"));
        yield return BadJson.Case("data array", "data", json.With("data", new JsonArray(Data())));
        yield return BadJson.Case("data number", "data", json.With("data", 88));
        yield return BadJson.Case("data nested 1000 levels", "data", json.WithRaw("data", BadJson.Deep(1000)));

        // Values that are not envelopes at all: refused with the reason and, for malformed JSON, the position.
        var body = json.Valid();
        yield return new BadInput("empty value", "$", [], Mentions: "empty");
        yield return BadInput.Of("whitespace value", "$", "   ", mentions: "line");
        yield return BadInput.Of("truncated JSON", "$", body[..(body.Length / 2)], mentions: "line");
        yield return BadInput.Of("trailing garbage", "$", body + " garbage", mentions: "line");
        yield return BadInput.Of("two documents", "$", body + body, mentions: "line");
        yield return BadInput.Of("trailing comma", "$", body[..^1] + ",}", mentions: "line");
        yield return BadInput.Of("single quotes", "$", body.Replace('"', '\''), mentions: "line");
        yield return BadInput.Of("NUL byte before the value", "$", "\u0000" + body, mentions: "line");
        yield return BadInput.Of("comment before the value", "$", "/* c */" + body, mentions: "line");
        yield return new BadInput("invalid UTF-8 in entityId", "data.entityId", Invalidate(json.With("data.entityId", "ab__BAD__cd")), Mentions: "line");
        yield return new BadInput("invalid UTF-8 in code", "data.code", Invalidate(json.With("data.code", "heart__BAD__rate")), Mentions: "line");
        yield return new BadInput("UTF-16 value", "$", Encoding.Unicode.GetBytes(body), Mentions: "line");
        yield return BadInput.Of("root of 1000 nested arrays", "$", BadJson.Deep(1000), mentions: "line");
        yield return BadInput.Of("number value", "$", "88", mentions: "line");
        yield return BadInput.Of("string value", "$", "\"88\"", mentions: "line");
        yield return BadInput.Of("null value", "$", "null", mentions: "null");
        yield return BadInput.Of("array of envelopes", "$", "[" + body + "]", mentions: "line");
        yield return BadInput.Of("bare observation without envelope", "$", Data().ToJsonString());
    }

    // Raw bytes no UTF-8 decoder accepts (a lone surrogate encoded as UTF-8, then a stray continuation byte).
    static byte[] Invalidate(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var marker = Encoding.UTF8.GetBytes("__BAD__");
        var at = bytes.AsSpan().IndexOf(marker);
        return [.. bytes[..at], 0xED, 0xA0, 0x80, 0x80, .. bytes[(at + marker.Length)..]];
    }
}
