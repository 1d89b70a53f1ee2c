using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Features;
using Mlops.Contracts.Kafka;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;

namespace Mlops.Features.Tests.Api;

/// <summary>Client mistakes at the features service get a 4xx that says where and why, or a dead letter with the reason.</summary>
[Collection(FeaturesCollection.Name)]
public sealed class MalformedInputTests(FeaturesServiceFixture service)
{
    readonly HttpClient _http = service.CreateClient();

    [Fact]
    public async Task PostLabel_MalformedJson_Is400ProblemDetailsNamingPathLineAndReason()
    {
        const string body = """{ "labelId": "l-1", "entityId": "p-1", "name": "deterioration", "value": "yes", "eventTime": "2026-11-20T10:00:00Z" }""";

        var response = await _http.PostAsync("/api/features/labels", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("JSON path $.value", detail, StringComparison.Ordinal);
        Assert.Contains("line 1", detail, StringComparison.Ordinal);
        Assert.Contains("could not be converted to System.Double", detail, StringComparison.Ordinal);
        Assert.Equal("$.value", problem.GetProperty("path").GetString());
    }

    [Fact]
    public async Task PostLabel_MissingRequiredMember_Is400NamingTheMember()
    {
        var response = await _http.PostAsync("/api/features/labels", new StringContent("""{ "labelId": "l-2", "entityId": "p-1", "value": 1 }""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
        Assert.Contains("missing required properties", detail, StringComparison.Ordinal);
        Assert.Contains("'name'", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostTrainingSet_WrongContentType_Is415WithTheReason()
    {
        var response = await _http.PostAsync("/api/features/training-sets", new StringContent("labelName=x", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/x-www-form-urlencoded", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostLabel_NulInEntityId_Is400NamingEntityId()
    {
        var label = new LabelRecorded { LabelId = "l-nul-" + Guid.NewGuid().ToString("N"), EntityId = "p\u00001", Name = "deterioration", Value = 1, EventTime = DateTimeOffset.UtcNow };

        var response = await _http.PostAsJsonAsync("/api/features/labels", label);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal("entityId contains the control character U+0000 at position 1; control characters are not allowed", errors.GetProperty("entityId")[0].GetString());
    }

    [Fact]
    public async Task PostTrainingSet_NulInLabelName_Is400NamingLabelName()
    {
        var response = await _http.PostAsJsonAsync("/api/features/training-sets", new { labelName = "deterioration\u0000" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("labelName", out _));
    }

    [Fact]
    public async Task LabelsTopic_NulInEntityId_IsDeadLetteredWithTheReasonAndTheNextLabelIsStored()
    {
        var producer = service.Services.GetRequiredService<IEventProducer>();
        var bad = new LabelRecorded { LabelId = "l-nul-" + Guid.NewGuid().ToString("N"), EntityId = "p\u0000k", Name = "deterioration", Value = 1, EventTime = DateTimeOffset.UtcNow };
        var good = bad with { LabelId = "l-ok-" + Guid.NewGuid().ToString("N"), EntityId = "p-k" };
        var badEnvelope = Envelope(bad);
        await producer.ProduceEnvelopeAsync(service.LabelsTopic, badEnvelope);
        await producer.ProduceEnvelopeAsync(service.LabelsTopic, Envelope(good));

        var config = service.Services.GetRequiredService<KafkaClientConfigFactory>().CreateConsumerConfig(PlatformInfrastructure.UniqueName("reader"), "test-reader");
        using var consumer = new ConsumerBuilder<string?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(service.DeadLetterTopic);
        DeadLetterRecord? deadLetter = null;
        await Eventually.WaitUntilAsync(() =>
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message is not null && EnvelopeSerializer.Deserialize<DeadLetterRecord>(result.Message.Value).Data is { } record && record.OriginalEventId == badEnvelope.Id)
            {
                deadLetter = record;
            }

            return deadLetter is not null;
        }, "the label with a NUL in its entity id was dead-lettered");
        consumer.Close();

        Assert.Equal("rejected", deadLetter!.FailureKind);
        Assert.Equal("invalid label: entityId contains the control character U+0000 at position 1; control characters are not allowed", deadLetter.Reason);

        await using var db = service.CreateDataSource();
        await Eventually.WaitUntilAsync(async () =>
        {
            await using var command = db.CreateCommand("SELECT count(*) FROM labels WHERE label_id = $1");
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = good.LabelId });
            try
            {
                return (long)(await command.ExecuteScalarAsync())! == 1;
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
            {
                return false; // the schema is created on the service's first database use
            }
        }, "the following valid label was stored");
    }

    static EventEnvelope<LabelRecorded> Envelope(LabelRecorded label) => new()
    {
        Id = label.LabelId,
        Source = "/tests",
        Type = EnvelopeSerializer.EventTypeOf(typeof(LabelRecorded)),
        Time = DateTimeOffset.UtcNow,
        Subject = "p-k",
        Data = label,
    };
}
