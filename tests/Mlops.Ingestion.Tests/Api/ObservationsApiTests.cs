using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Contracts.Ingestion;
using Mlops.Kafka;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Ingestion.Tests.Api;

[Collection(IngestionCollection.Name)]
public sealed class ObservationsApiTests(IngestionServiceFixture service)
{
    readonly HttpClient _http = service.CreateClient();

    [Fact]
    public async Task PostObservation_Valid_IsStoredOnceAndARepeatIsAcknowledgedAsDuplicate()
    {
        var body = Observations.Valid(code: "temperature", value: 101.3, unit: "[degF]");

        var first = await _http.PostAsJsonAsync("/api/ingestion/observations", body);
        var repeat = await _http.PostAsJsonAsync("/api/ingestion/observations", body);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        using var firstJson = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        using var repeatJson = JsonDocument.Parse(await repeat.Content.ReadAsStringAsync());
        Assert.Equal("accepted", firstJson.RootElement.GetProperty("status").GetString());
        Assert.Equal("duplicate", repeatJson.RootElement.GetProperty("status").GetString());
        Assert.Equal(firstJson.RootElement.GetProperty("sequence").GetInt64(), repeatJson.RootElement.GetProperty("sequence").GetInt64());

        await using var db = service.CreateDataSource();
        await using var count = db.CreateCommand("SELECT count(*), min(value), min(unit) FROM observations WHERE observation_id = $1");
        count.Parameters.Add(new NpgsqlParameter { Value = (string)body["observationId"]! });
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(1, reader.GetInt64(0));
        Assert.Equal(38.5, reader.GetDouble(1), precision: 9);
        Assert.Equal("Cel", reader.GetString(2));
    }

    [Fact]
    public async Task PostObservation_IdReusedForDifferentContent_IsRejectedNamingObservationId()
    {
        var original = Observations.Valid(value: 80);
        var reused = Observations.Valid(id: (string)original["observationId"]!, value: 81);

        await _http.PostAsJsonAsync("/api/ingestion/observations", original);
        var response = await _http.PostAsJsonAsync("/api/ingestion/observations", reused);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("is already used by a different observation", problem.GetProperty("errors").GetProperty("observationId")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostObservation_Invalid_Returns400ProblemDetailsNamingEveryBadField()
    {
        var body = Observations.Valid(value: "NaN", unit: "kg", at: DateTimeOffset.UtcNow.AddHours(2));
        body["observationId"] = null;

        var response = await _http.PostAsJsonAsync("/api/ingestion/observations", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("The observation is invalid", problem.GetProperty("title").GetString());
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.Equal(["eventTime", "observationId", "unit", "value"], fields);
    }

    [Fact]
    public async Task PostBatch_MixedItems_KeepsTheGoodOnesAndAnswersPerItem()
    {
        var good = Observations.Valid(entity: "patient-batch");
        var badRange = Observations.Valid(entity: "patient-batch", value: 999);
        var badTime = Observations.Valid(entity: "patient-batch");
        badTime["eventTime"] = "yesterday";
        var repeatOfGood = new Dictionary<string, object?>(good);

        var response = await _http.PostAsJsonAsync("/api/ingestion/observations/batch", new object[] { good, badRange, badTime, repeatOfGood, 42 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var receipt = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, receipt.GetProperty("accepted").GetInt32());
        Assert.Equal(1, receipt.GetProperty("duplicates").GetInt32());
        Assert.Equal(3, receipt.GetProperty("rejected").GetInt32());
        var results = receipt.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["accepted", "rejected", "rejected", "duplicate", "rejected"], results.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal("value", results[1].GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal("eventTime", results[2].GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal("$", results[4].GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task PostBatch_OverTheLimit_IsRefusedWholeNamingTheLimit()
    {
        var items = Enumerable.Range(0, 10_001).Select(_ => Observations.Valid()).ToList();

        var response = await _http.PostAsJsonAsync("/api/ingestion/observations/batch", items);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("the batch has 10001 observations; at most 10000 are accepted per request", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task PostBatch_TenThousandValid_AreAllStoredAndPublishedToKafkaNormalised()
    {
        var items = Enumerable.Range(0, 10_000).Select(i => Observations.Valid(entity: $"patient-{i % 50}", code: "spo2", value: 0.9 + (i % 10) / 100.0, unit: "1")).ToList();

        var response = await _http.PostAsJsonAsync("/api/ingestion/observations/batch", items);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(10_000, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());

        var wanted = items.Select(i => (string)i["observationId"]!).ToHashSet();
        var published = new Dictionary<string, ObservationAccepted>();
        using var reader = new TopicReader(service.Services, service.AcceptedTopic);
        await Eventually.WaitUntilAsync(() =>
        {
            foreach (var envelope in reader.Poll<ObservationAccepted>())
            {
                Assert.Equal(envelope.Data.ObservationId, envelope.Id);
                Assert.Equal(envelope.Data.EntityId, envelope.Subject);
                published[envelope.Id] = envelope.Data;
            }

            return wanted.IsSubsetOf(published.Keys);
        }, "all 10,000 observations were published to Kafka");

        var sample = published[(string)items[3]["observationId"]!];
        Assert.Equal("%", sample.Unit);
        Assert.Equal(93, sample.Value, precision: 9);
        Assert.Equal("patient-3", sample.EntityId);
    }
}
