using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Ingestion;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Ingestion.Tests.Api;

/// <summary>Client mistakes get a 4xx that says where and why — never a bare "Bad Request", never a 5xx.</summary>
[Collection(IngestionCollection.Name)]
public sealed class MalformedInputTests(IngestionServiceFixture service)
{
    readonly HttpClient _http = service.CreateClient();

    [Fact]
    public async Task PostObservation_MalformedJson_Is400ProblemDetailsNamingLinePositionAndReason()
    {
        const string body = "{\n  \"observationId\": \"x-1\",\n  \"value\": 92,,\n  \"unit\": \"/min\"\n}";

        var response = await _http.PostAsync("/api/ingestion/observations", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("line 3", detail, StringComparison.Ordinal);
        Assert.Contains("byte 14", detail, StringComparison.Ordinal);
        Assert.Contains("',' is an invalid start of a property name", detail, StringComparison.Ordinal);
        Assert.Equal(3, problem.GetProperty("line").GetInt32());
        Assert.Equal(14, problem.GetProperty("bytePositionInLine").GetInt32());
    }

    [Fact]
    public async Task PostBatch_TruncatedJson_Is400ProblemDetailsNamingThePosition()
    {
        var response = await _http.PostAsync("/api/ingestion/observations/batch", new StringContent("[{\"observationId\": \"a\"", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("line 1", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, problem.GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task PostObservation_EmptyBody_Is400SayingTheBodyIsMissing()
    {
        var response = await _http.PostAsync("/api/ingestion/observations", new StringContent("", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("the request body is empty; this endpoint expects a JSON body (Content-Type: application/json)", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task PostObservation_WrongContentType_Is415NamingTheType()
    {
        var response = await _http.PostAsync("/api/ingestion/observations", new StringContent("heart_rate=92", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Content-Type 'text/plain; charset=utf-8' is not supported by this endpoint; JSON endpoints expect application/json", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task PostObservation_NulInEntityId_Is400NamingEntityId()
    {
        var body = Observations.Valid(entity: "patient\u00007");

        var response = await _http.PostAsJsonAsync("/api/ingestion/observations", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal("entityId contains the control character U+0000 at position 7; control characters are not allowed", errors.GetProperty("entityId")[0].GetString());
    }

    [Fact]
    public async Task PostBatch_ControlCharactersAndUnpairedSurrogate_RefuseThoseItemsAndKeepTheRest()
    {
        var good = Observations.Valid(entity: "patient-ctl");
        var nulId = Observations.Valid(entity: "patient-ctl", id: "obs-\u0000-" + Guid.NewGuid().ToString("N"));
        var bellSource = Observations.Valid(entity: "patient-ctl");
        bellSource["sourceSystem"] = "ward\u0007";
        // An escaped lone surrogate is legal JSON but not Unicode; PostgreSQL could not store it.
        var surrogate = JsonSerializer.Serialize(Observations.Valid(entity: "patient-ctl")).Replace("\"patient-ctl\"", "\"patient-\\ud800\"", StringComparison.Ordinal);
        var json = $"[{JsonSerializer.Serialize(good)},{JsonSerializer.Serialize(nulId)},{JsonSerializer.Serialize(bellSource)},{surrogate}]";

        var response = await _http.PostAsync("/api/ingestion/observations/batch", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["accepted", "rejected", "rejected", "rejected"], results.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal("observationId", results[1].GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal("sourceSystem", results[2].GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal("entityId", results[3].GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task RawTopic_NulInEntityId_GoesToRejectedTopicWithTheReason()
    {
        var producer = service.Services.GetRequiredService<IEventProducer>();
        var id = "kafka-nul-" + Guid.NewGuid().ToString("N");
        var good = "kafka-ok-" + Guid.NewGuid().ToString("N");
        RawObservation Raw(string observationId, string entity) => new()
        {
            ObservationId = observationId, EntityId = entity, Code = "heart_rate", Value = JsonSerializer.SerializeToElement(90), Unit = "/min",
            EventTime = DateTimeOffset.UtcNow.AddMinutes(-1), SourceSystem = "monitor-bus",
        };

        await producer.ProduceAsync(service.RawTopic, "patient-nul", Raw(id, "patient\u0000nul"));
        await producer.ProduceAsync(service.RawTopic, "patient-nul", Raw(good, "patient-nul"));

        using var reader = new TopicReader(service.Services, service.RejectedTopic);
        ObservationRejected? rejected = null;
        await Eventually.WaitUntilAsync(() =>
        {
            rejected ??= reader.Poll<ObservationRejected>().Select(e => e.Data).FirstOrDefault(r => r.ObservationId == id);
            return rejected is not null;
        }, "the record with a NUL in its entity id reached the rejected topic");

        var error = Assert.Single(rejected!.Errors);
        Assert.Equal("entityId", error.Field);
        Assert.Contains("control character U+0000", error.Message, StringComparison.Ordinal);

        // The intake kept going: the next record on the partition was stored.
        await using var db = service.CreateDataSource();
        await Eventually.WaitUntilAsync(async () =>
        {
            await using var command = db.CreateCommand("SELECT count(*) FROM observations WHERE observation_id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = good });
            return (long)(await command.ExecuteScalarAsync())! == 1;
        }, "the following valid record was stored");
    }

    [Fact]
    public async Task CreateDatasetVersion_NulInACodeOrDescription_Is400NamingTheField()
    {
        var response = await _http.PostAsJsonAsync("/api/ingestion/datasets", new { codes = new[] { "lactate", "heart\u0000rate" }, description = "weekly\u0000" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["codes[1]", "description"], errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }
}
