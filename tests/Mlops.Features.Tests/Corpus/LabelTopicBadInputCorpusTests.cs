using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Kafka;
using Mlops.Kafka;
using Mlops.Testing;
using Mlops.Testing.Corpus;
using Npgsql;
using Xunit.Abstractions;

namespace Mlops.Features.Tests.Corpus;

/// <summary>
/// The label corpus on <c>labels.v1</c>: every bad record is dead-lettered under its own key with a reason naming
/// the field (the JSON path and position for unreadable values), none is stored, and valid labels sent between them
/// are stored — one bad record never blocks the partition.
/// </summary>
[Collection(FeaturesCollection.Name)]
public sealed class LabelTopicBadInputCorpusTests(FeaturesServiceFixture service, ITestOutputHelper output)
{
    readonly string _run = Guid.NewGuid().ToString("N")[..10];
    int _next;

    [Fact]
    public async Task BadLabels_OnTheLabelTopic_AreDeadLetteredNamingTheFieldAndValidOnesAroundThemAreStored()
    {
        var cases = LabelCorpus.Cases(() => Envelope(Label()), "data.", bodies: false).Concat(EnvelopeCases())
            .Where(c => c.Bytes.Length < 999_000) // the broker itself refuses records over 1 MB
            .ToList();
        var factory = service.Services.GetRequiredService<KafkaClientConfigFactory>();
        using var producer = new ProducerBuilder<string?, byte[]>(factory.CreateProducerConfig("lcorpus-producer")).SetLogHandler((_, _) => { }).Build();

        var keys = new Dictionary<string, BadInput>(StringComparer.Ordinal);
        var good = 0;
        for (var i = 0; i < cases.Count; i++)
        {
            var key = $"ltcorpus-{_run}-bad-{i}";
            keys[key] = cases[i];
            await producer.ProduceAsync(service.LabelsTopic, new Message<string?, byte[]> { Key = key, Value = cases[i].Bytes });
            if (i % 20 == 0)
            {
                var label = Label($"ltcorpus-{_run}-good-{good++}");
                await producer.ProduceAsync(service.LabelsTopic, new Message<string?, byte[]> { Key = "ltcorpus-good", Value = Encoding.UTF8.GetBytes(Envelope(label).ToJsonString()) });
            }
        }

        producer.Flush(TimeSpan.FromSeconds(10));

        var deadLetters = ReadDeadLetters(factory, keys.Keys.ToHashSet(StringComparer.Ordinal));
        var failures = new List<string>();
        foreach (var (key, c) in keys)
        {
            if (!deadLetters.TryGetValue(key, out var record))
            {
                failures.Add($"{c.Name}: not dead-lettered");
            }
            else if (!Names(record.Reason, c))
            {
                failures.Add($"{c.Name}: reason does not name '{c.Field}': {Refusal.Cut(record.Reason)}");
            }
        }

        output.WriteLine($"{cases.Count} cases, {cases.Count - failures.Count} refused naming the field, {failures.Count} failed");

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));
        Assert.True(cases.Count >= 200, $"the corpus has only {cases.Count} cases");

        await using var db = service.CreateDataSource();
        await Eventually.WaitUntilAsync(async () => await CountAsync(db, $"ltcorpus-{_run}-good-%") == good, "the valid labels between the bad ones were stored");
        Assert.Equal(0L, await CountAsync(db, $"ltcorpus-{_run}-bad-%"));
    }

    static bool Names(string reason, BadInput c)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return false;
        }

        if (c.Name.EndsWith("nested 1000 levels", StringComparison.Ordinal))
        {
            // Deeper than the reader's limit: refused where the reader stopped, with the path to it and the position.
            // A typed member refuses the first '[' (naming the member); an untyped one reads until the depth limit.
            return (reason.Contains("depth", StringComparison.Ordinal) && reason.Contains("byte", StringComparison.OrdinalIgnoreCase))
                || (c.Field != "$" && Refusal.NamesInText(c.Field, [reason]));
        }

        return c.Field == "$"
            ? c.Mentions is null || reason.Contains(c.Mentions, StringComparison.OrdinalIgnoreCase)
            : Refusal.NamesInText(c.Field, [reason]);
    }

    Dictionary<string, DeadLetterRecord> ReadDeadLetters(KafkaClientConfigFactory factory, HashSet<string> keys)
    {
        using var consumer = new ConsumerBuilder<string?, byte[]>(factory.CreateConsumerConfig(PlatformInfrastructure.UniqueName("ltcorpus-reader"), "ltcorpus-reader"))
            .SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(service.DeadLetterTopic);
        var found = new Dictionary<string, DeadLetterRecord>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (found.Count < keys.Count && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message?.Key is { } key && keys.Contains(key))
            {
                found[key] = EnvelopeSerializer.Deserialize<DeadLetterRecord>(result.Message.Value).Data;
            }
        }

        consumer.Close();
        return found;
    }

    // Bytes no UTF-8 decoder accepts: a lone surrogate encoded as UTF-8, then a stray continuation byte.
    static byte[] Invalidate(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var marker = Encoding.UTF8.GetBytes("__BAD__");
        var at = bytes.AsSpan().IndexOf(marker);
        return [.. bytes[..at], 0xED, 0xA0, 0x80, 0x80, .. bytes[(at + marker.Length)..]];
    }

    static async Task<long> CountAsync(NpgsqlDataSource db, string pattern)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM labels WHERE label_id LIKE $1 OR entity_id LIKE $1");
        command.Parameters.Add(new NpgsqlParameter { Value = pattern });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    JsonObject Label(string? id = null)
    {
        id ??= $"ltcorpus-{_run}-bad-{Interlocked.Increment(ref _next)}";
        return new JsonObject
        {
            ["labelId"] = id,
            ["entityId"] = id,
            ["name"] = "deterioration",
            ["value"] = 1,
            ["eventTime"] = DateTimeOffset.UtcNow.AddHours(-1).ToString("O"),
        };
    }

    static JsonObject Envelope(JsonObject label) => new()
    {
        ["id"] = label["labelId"]?.DeepClone(),
        ["source"] = "/upstream/outcomes",
        ["type"] = "mlops.features.label-recorded.v1",
        ["specversion"] = "1.0",
        ["time"] = DateTimeOffset.UtcNow.ToString("O"),
        ["subject"] = "ltcorpus-patient",
        ["data"] = label,
    };

    IEnumerable<BadInput> EnvelopeCases()
    {
        var json = new BadJson(() => Envelope(Label()));
        foreach (var member in new[] { "id", "source", "type", "time", "subject" })
        {
            yield return BadJson.Case($"envelope {member} missing", member, json.Without(member));
            yield return BadJson.Case($"envelope {member} number", member, json.With(member, 88));
            yield return BadJson.Case($"envelope {member} object", member, json.With(member, new JsonObject { ["a"] = 1 }));
        }

        yield return BadJson.Case("envelope id empty", "id", json.With("id", ""));
        yield return BadJson.Case("envelope time not a time", "time", json.With("time", "not-a-time"));
        yield return BadJson.Case("data missing", "data", json.Without("data"));
        yield return BadJson.Case("data null", "data", json.With("data", null));
        yield return BadJson.Case("data string", "data", json.With("data", "deterioration=1"));
        yield return BadJson.Case("data array", "data", json.With("data", new JsonArray(Label())));
        // Close to the broker's 1 MB limit: its dead letter (value + reason) no longer fits and must still be written.
        yield return BadJson.Case("labelId 998 KB", "data.labelId", json.With("data.labelId", new string('x', 998_000)));
        yield return BadJson.Case("name 990 KB", "data.name", json.With("data.name", new string('n', 990_000)));
        yield return new BadInput("invalid UTF-8 in entityId", "data.entityId", Invalidate(json.With("data.entityId", "ab__BAD__cd")));
        yield return new BadInput("invalid UTF-8 in name", "data.name", Invalidate(json.With("data.name", "det__BAD__")));
        var body = json.Valid();
        yield return new BadInput("empty value", "$", [], Mentions: "empty");
        yield return BadInput.Of("truncated JSON", "$", body[..(body.Length / 2)], mentions: "line");
        yield return BadInput.Of("trailing garbage", "$", body + " garbage", mentions: "line");
        yield return BadInput.Of("single quotes", "$", body.Replace('"', '\''), mentions: "line");
        yield return BadInput.Of("NUL byte before the value", "$", "\u0000" + body, mentions: "line");
        yield return new BadInput("UTF-16 value", "$", Encoding.Unicode.GetBytes(body), Mentions: "line");
        yield return BadInput.Of("number value", "$", "88", mentions: "line");
        yield return BadInput.Of("null value", "$", "null", mentions: "null");
        yield return BadInput.Of("bare label without envelope", "$", Label().ToJsonString());
    }
}
