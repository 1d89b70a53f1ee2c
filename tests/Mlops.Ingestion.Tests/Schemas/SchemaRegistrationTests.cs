using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mlops.Ingestion.Schemas;
using Mlops.Ingestion.Storage;

namespace Mlops.Ingestion.Tests.Schemas;

/// <summary>Observation schemas registered and re-versioned through the API, used by validation at once, on every replica.</summary>
[Collection(IngestionCollection.Name)]
public sealed class SchemaRegistrationTests(IngestionServiceFixture service)
{
    readonly HttpClient _http = service.CreateClient();

    static string NewCode() => "glucose_" + Guid.NewGuid().ToString("N")[..8];

    static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    const string Glucose = """{ "Display": "Capillary glucose", "Unit": "mmol/L", "Conversions": { "mg/dL": { "Factor": 0.0555 } }, "Min": 0.5, "Max": 60 }""";

    [Fact]
    public async Task RegisterSchema_NewCode_IsUsedByValidationImmediatelyWithoutRestart()
    {
        var code = NewCode();
        var before = await _http.PostAsJsonAsync("/api/ingestion/observations", Observations.Valid(code: code, value: 108, unit: "mg/dL"));
        Assert.Equal(HttpStatusCode.BadRequest, before.StatusCode);

        var registered = await _http.PutAsync($"/api/ingestion/schemas/{code}?registeredBy=tests", Json(Glucose));

        Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        var entry = await registered.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, entry.GetProperty("version").GetInt32());
        Assert.Equal("registered", entry.GetProperty("source").GetString());

        var observation = Observations.Valid(code: code, value: 108, unit: "mg/dL");
        Assert.Equal(HttpStatusCode.Accepted, (await _http.PostAsJsonAsync("/api/ingestion/observations", observation)).StatusCode);
        await using var db = service.CreateDataSource();
        await using var stored = db.CreateCommand("SELECT value, unit FROM observations WHERE observation_id = $1");
        stored.Parameters.Add(new Npgsql.NpgsqlParameter { Value = (string)observation["observationId"]! });
        await using var reader = await stored.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(108 * 0.0555, reader.GetDouble(0), precision: 9);
        Assert.Equal("mmol/L", reader.GetString(1));

        var all = await _http.GetFromJsonAsync<JsonElement>("/api/ingestion/schemas");
        var listed = Assert.Single(all.EnumerateArray(), e => e.GetProperty("code").GetString() == code);
        Assert.Equal("mg/dL", listed.GetProperty("schema").GetProperty("conversions").EnumerateObject().Single().Name);
        Assert.Contains(all.EnumerateArray(), e => e.GetProperty("code").GetString() == "heart_rate" && e.GetProperty("source").GetString() == "configuration");
    }

    [Fact]
    public async Task RegisterSchema_Changed_IsANewVersionAndARepeatIsNot()
    {
        var code = NewCode();
        Assert.Equal(HttpStatusCode.Created, (await _http.PutAsync($"/api/ingestion/schemas/{code}", Json(Glucose))).StatusCode);
        var repeat = await _http.PutAsync($"/api/ingestion/schemas/{code}", Json(Glucose));
        var narrowed = await _http.PutAsync($"/api/ingestion/schemas/{code}", Json(Glucose.Replace("\"Max\": 60", "\"Max\": 30", StringComparison.Ordinal)));

        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Equal(1, (await repeat.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32());
        Assert.Equal(HttpStatusCode.Created, narrowed.StatusCode);
        Assert.Equal(2, (await narrowed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32());

        var versions = await _http.GetFromJsonAsync<JsonElement>($"/api/ingestion/schemas/{code}/versions");
        Assert.Equal([60.0, 30.0], versions.EnumerateArray().Select(v => v.GetProperty("schema").GetProperty("max").GetDouble()));

        var tooHigh = await _http.PostAsJsonAsync("/api/ingestion/observations", Observations.Valid(code: code, value: 45, unit: "mmol/L"));
        Assert.Equal(HttpStatusCode.BadRequest, tooHigh.StatusCode);
        Assert.Contains("outside the plausible range 0.5–30", await tooHigh.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterSchema_Invalid_Is400NamingEveryField()
    {
        var code = NewCode();
        var inconsistent = await _http.PutAsync($"/api/ingestion/schemas/{code}", Json("""{ "Min": 10, "Max": 1, "Conversions": { "x": { "Factor": 0 } } }"""));
        var unknownMember = await _http.PutAsync($"/api/ingestion/schemas/{code}", Json("""{ "Unit": "mmol/L", "Mx": 3 }"""));
        var badType = await _http.PutAsync($"/api/ingestion/schemas/{code}", Json("""{ "ValueType": "Colour", "Categories": ["red"] }"""));
        var badCode = await _http.PutAsync($"/api/ingestion/schemas/bad%07code", Json(Glucose));

        Assert.Equal(["conversions.x", "min", "unit"], (await ErrorFieldsAsync(inconsistent)).Order(StringComparer.Ordinal));
        Assert.Equal(["Mx"], await ErrorFieldsAsync(unknownMember));
        Assert.Equal(["ValueType"], await ErrorFieldsAsync(badType));
        Assert.Equal(["code"], await ErrorFieldsAsync(badCode));
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/ingestion/schemas/{code}")).StatusCode);
    }

    [Fact]
    public async Task RegisterSchema_OnOneReplica_ReachesAnotherReplicaAtItsNextRefresh()
    {
        // A second replica: its own catalogue over the same database, with a clock the test moves.
        await using var dataSource = service.CreateDataSource();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var options = Options.Create(new IngestionOptions { SchemaRefreshInterval = TimeSpan.FromSeconds(1) });
        var replica = new SchemaCatalog(options, new RegisteredSchemaStore(new IngestionDatabase(dataSource)), clock, NullLogger<SchemaCatalog>.Instance);
        await replica.RefreshAsync(CancellationToken.None);

        var code = NewCode();
        Assert.Equal(HttpStatusCode.Created, (await _http.PutAsync($"/api/ingestion/schemas/{code}", Json(Glucose))).StatusCode);

        await replica.RefreshAsync(CancellationToken.None); // within the interval: still the copy it had
        Assert.False(replica.TryGet(code, out _));

        clock.Advance(TimeSpan.FromSeconds(1));
        await replica.RefreshAsync(CancellationToken.None);
        Assert.True(replica.TryGet(code, out var schema));
        Assert.Equal(60, schema.Max);
        Assert.Equal(1, replica.RegisteredVersion(code)!.Version);
    }

    static async Task<List<string>> ErrorFieldsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Select(p => p.Name).ToList();
    }

    sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        DateTimeOffset _now = now;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
