using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Contracts.Ingestion;
using Mlops.Ingestion.Datasets;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.Ingestion.Tests.Api;

/// <summary>The source's available time, from the HTTP body through the raw store, dataset versions and <c>observations.v1</c>.</summary>
[Collection(IngestionCollection.Name)]
public sealed class AvailableTimeApiTests(IngestionServiceFixture service)
{
    readonly HttpClient _http = service.CreateClient();

    [Fact]
    public async Task PostObservation_AvailableBeforeEventTime_Is400NamingAvailableTime()
    {
        var body = Observations.Valid(code: "lactate", value: 2.2, unit: "mmol/L", at: DateTimeOffset.UtcNow.AddHours(-2));
        body["availableTime"] = DateTimeOffset.UtcNow.AddHours(-3);

        var response = await _http.PostAsJsonAsync("/api/ingestion/observations", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        var field = Assert.Single(errors.EnumerateObject());
        Assert.Equal("availableTime", field.Name);
        Assert.Contains("is before eventTime", field.Value[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostBatch_UnparsableAvailableTime_IsRejectedNamingAvailableTime()
    {
        var good = Observations.Valid(entity: "patient-at");
        var bad = Observations.Valid(entity: "patient-at");
        bad["availableTime"] = "after lunch";

        var response = await _http.PostAsJsonAsync("/api/ingestion/observations/batch", new[] { good, bad });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal("accepted", results[0].GetProperty("status").GetString());
        Assert.Equal("rejected", results[1].GetProperty("status").GetString());
        Assert.Equal("availableTime", results[1].GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task AvailableTime_RoundTripsThroughDatasetVersionAndIsPublishedOnObservationsV1()
    {
        // Whole seconds: PostgreSQL keeps microseconds.
        var drawn = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-6).ToUnixTimeSeconds());
        var lab = Observations.Valid(entity: "patient-roundtrip", code: "wbc", value: 11.2, unit: "10*9/L", at: drawn);
        lab["availableTime"] = drawn.AddHours(4).ToOffset(TimeSpan.FromHours(2)); // any offset; stored as the same instant
        var vital = Observations.Valid(entity: "patient-roundtrip", code: "wbc", value: 9.8, unit: "10*9/L", at: drawn.AddHours(1));
        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsJsonAsync("/api/ingestion/observations/batch", new[] { lab, vital })).StatusCode);

        var created = await _http.PostAsJsonAsync("/api/ingestion/datasets", new { codes = new[] { "wbc" }, createdBy = "tests" });
        var version = (await created.Content.ReadFromJsonAsync<DatasetVersion>(EnvelopeSerializer.Options))!;
        var text = await _http.GetStringAsync($"/api/ingestion/datasets/{Uri.EscapeDataString(version.Version)}/observations");
        var rows = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<DatasetRow>(l, EnvelopeSerializer.Options)!).ToList();

        var labRow = Assert.Single(rows, r => r.ObservationId == (string)lab["observationId"]!);
        var vitalRow = Assert.Single(rows, r => r.ObservationId == (string)vital["observationId"]!);
        Assert.Equal(drawn.AddHours(4), labRow.AvailableTime);
        Assert.Equal(drawn, labRow.EventTime);
        Assert.Null(vitalRow.AvailableTime);
        Assert.Equal(rows, (await _http.GetStringAsync($"/api/ingestion/datasets/{Uri.EscapeDataString(version.Version)}/observations"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<DatasetRow>(l, EnvelopeSerializer.Options)!));

        using var reader = new TopicReader(service.Services, service.AcceptedTopic);
        var published = new Dictionary<string, ObservationAccepted>();
        await Eventually.WaitUntilAsync(() =>
        {
            foreach (var envelope in reader.Poll<ObservationAccepted>())
            {
                published[envelope.Id] = envelope.Data;
            }

            return published.ContainsKey((string)lab["observationId"]!) && published.ContainsKey((string)vital["observationId"]!);
        }, "both observations were published");
        Assert.Equal(drawn.AddHours(4), published[(string)lab["observationId"]!].AvailableTime);
        Assert.Null(published[(string)vital["observationId"]!].AvailableTime);
    }
}
