using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Ingestion.Datasets;
using Mlops.Kafka;
using Npgsql;

namespace Mlops.Ingestion.Tests.Datasets;

[Collection(IngestionCollection.Name)]
public sealed class DatasetVersionTests(IngestionServiceFixture service)
{
    readonly HttpClient _http = service.CreateClient();

    [Fact]
    public async Task DatasetVersion_AfterMoreDataArrives_StillReturnsExactlyItsOriginalRows()
    {
        var code = "lactate";
        await PostAsync(Observations.Valid(entity: "patient-ds", code: code, value: 2.1, unit: "mmol/L"));
        await PostAsync(Observations.Valid(entity: "patient-ds", code: code, value: 18, unit: "mg/dL"));

        var v1 = await CreateVersionAsync(code);
        var v1Rows = await ReadRowsAsync(v1.Version);

        await PostAsync(Observations.Valid(entity: "patient-ds", code: code, value: 3.3, unit: "mmol/L"));
        var v2 = await CreateVersionAsync(code);
        var again = await CreateVersionAsync(code);

        Assert.NotEqual(v1.Version, v2.Version);
        Assert.Equal(v2.Version, again.Version);
        Assert.Equal(v1.RowCount + 1, v2.RowCount);
        Assert.Equal(v1Rows, await ReadRowsAsync(v1.Version));
        Assert.Equal(v1.RowCount, v1Rows.Count);
        Assert.All(v1Rows, r => Assert.Equal(code, r.Code));
    }

    [Fact]
    public async Task DatasetVersion_WhileAnEarlierInsertIsStillUncommitted_NeverGainsThatRowLater()
    {
        var code = "creatinine";
        await PostAsync(Observations.Valid(entity: "patient-late", code: code, value: 90, unit: "umol/L"));

        // A writer that took its sequence number first but commits last: the classic gap a sequence-number
        // watermark would get wrong.
        await using var db = service.CreateDataSource();
        await using var slowWriter = await db.OpenConnectionAsync();
        await using var slowTransaction = await slowWriter.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO observations (observation_id, entity_id, entity_type, code, value, unit, original_value, event_time, source_system, content_hash)
            VALUES ($1, 'patient-late', 'patient', $2, 95, 'umol/L', '95', now(), 'slow', 'x')
            """, slowWriter, slowTransaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = "late-" + Guid.NewGuid().ToString("N") });
            insert.Parameters.Add(new NpgsqlParameter { Value = code });
            await insert.ExecuteNonQueryAsync();
        }

        await PostAsync(Observations.Valid(entity: "patient-late", code: code, value: 91, unit: "umol/L"));
        var version = await CreateVersionAsync(code);
        var before = await ReadRowsAsync(version.Version);

        await slowTransaction.CommitAsync();
        var after = await ReadRowsAsync(version.Version);

        Assert.Equal(before, after);
        Assert.DoesNotContain(after, r => r.SourceSystem == "slow");
        Assert.Equal(version.RowCount, after.Count);
    }

    [Fact]
    public async Task DatasetVersion_Unknown_Is404ProblemDetails()
    {
        var response = await _http.GetAsync("/api/ingestion/datasets/sha256:0000/observations");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no dataset version 'sha256:0000'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RowsQuery_SomeEntities_ReturnsExactlyTheirRowsOfTheSnapshotInEntityByteOrder()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var code = "wbc";
        string[] entities = [$"q-{run}-b", $"q-{run}-a", $"q-{run}-C", $"q-{run}-other"];
        foreach (var entity in entities)
        {
            await PostAsync(Observations.Valid(entity: entity, code: code, value: 7.5, unit: "10*9/L", at: DateTimeOffset.UtcNow.AddHours(-2)));
            await PostAsync(Observations.Valid(entity: entity, code: code, value: 8.5, unit: "10*9/L", at: DateTimeOffset.UtcNow.AddHours(-1)));
        }

        var version = await CreateVersionAsync(code);
        await PostAsync(Observations.Valid(entity: entities[0], code: code, value: 12, unit: "10*9/L")); // after the snapshot

        var response = await _http.PostAsJsonAsync($"/api/ingestion/datasets/{Uri.EscapeDataString(version.Version)}/observations/query",
            new { entityIds = new[] { entities[0], entities[1], entities[2], $"q-{run}-absent" } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonSerializer.Deserialize<DatasetRow>(line, EnvelopeSerializer.Options)!).ToList();

        // Byte order: upper-case "C" before "a" and "b"; each entity's rows by event time; the snapshot's rows only.
        Assert.Equal([entities[2], entities[2], entities[1], entities[1], entities[0], entities[0]], rows.Select(r => r.EntityId));
        Assert.All(rows.Chunk(2), pair => Assert.True(pair[0].EventTime < pair[1].EventTime));
        var all = await ReadRowsAsync(version.Version);
        // Other tests of the collection write the same code: only this test's entities are compared.
        Assert.Equal(all.Where(r => entities[..3].Contains(r.EntityId)).OrderBy(r => r.Sequence), rows.OrderBy(r => r.Sequence));
    }

    [Fact]
    public async Task RowsQuery_NoEntitiesTooManyOrUnknownVersion_Is400Or404ProblemDetails()
    {
        var version = await CreateVersionAsync("wbc");
        var path = $"/api/ingestion/datasets/{Uri.EscapeDataString(version.Version)}/observations/query";

        var none = await _http.PostAsJsonAsync(path, new { entityIds = Array.Empty<string>() });
        var tooMany = await _http.PostAsJsonAsync(path, new { entityIds = Enumerable.Range(0, 1001).Select(i => $"e{i}").ToArray() });
        var control = await _http.PostAsJsonAsync(path, new { entityIds = new[] { "ok", "bad\u0001" } });
        var unknown = await _http.PostAsJsonAsync("/api/ingestion/datasets/sha256:0000/observations/query", new { entityIds = new[] { "a" } });

        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        Assert.Contains("entityIds must name at least one entity", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("at most 1000 per request", await tooMany.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, control.StatusCode);
        Assert.Contains("entityIds[1]", await control.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no dataset version 'sha256:0000'", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScopedVersion_SourcesAndEventTimeRange_HoldsOnlyThoseRowsAndIsNamedByItsScope()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var (mine, other) = ($"ward-{run}", $"lab-{run}");
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-10).ToUnixTimeSeconds());
        foreach (var (source, hour) in new[] { (mine, 0), (mine, 2), (mine, 4), (other, 2) })
        {
            var observation = Observations.Valid(entity: $"scope-{run}", code: "heart_rate", value: 80 + hour, at: start.AddHours(hour));
            observation["sourceSystem"] = source;
            await PostAsync(observation);
        }

        var bySource = await CreateScopedAsync(new { sources = new[] { mine }, createdBy = "tests" });
        var byRange = await CreateScopedAsync(new { sources = new[] { mine, other }, since = start.AddHours(1), until = start.AddHours(4), createdBy = "tests" });
        var sameRange = await CreateScopedAsync(new { sources = new[] { other, mine, mine }, since = start.AddHours(1), until = start.AddHours(4) });

        var sourceRows = await ReadRowsAsync(bySource.Version);
        Assert.Equal(3, bySource.RowCount);
        Assert.Equal([mine], bySource.Sources);
        Assert.All(sourceRows, r => Assert.Equal(mine, r.SourceSystem));
        Assert.Equal([80.0, 82, 84], sourceRows.Select(r => r.Value));

        // [since, until): 2 h of both sources; 0 h is before it, 4 h is its exclusive end.
        var rangeRows = await ReadRowsAsync(byRange.Version);
        Assert.Equal(2, byRange.RowCount);
        Assert.Equal(start.AddHours(1), byRange.Since);
        Assert.Equal(start.AddHours(4), byRange.Until);
        Assert.Equal(new[] { mine, other }.Order(StringComparer.Ordinal), rangeRows.Select(r => r.SourceSystem).Order(StringComparer.Ordinal));
        Assert.All(rangeRows, r => Assert.Equal(start.AddHours(2), r.EventTime));
        Assert.Equal(byRange.Version, sameRange.Version);

        var entityRows = await _http.PostAsJsonAsync($"/api/ingestion/datasets/{Uri.EscapeDataString(byRange.Version)}/observations/query", new { entityIds = new[] { $"scope-{run}" } });
        Assert.Equal(2, (await entityRows.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal([$"scope-{run}"], await ReadEntitiesAsync(bySource.Version));
    }

    [Fact]
    public async Task ScopedVersion_SameRowsAsAWholeStoreVersion_HasANameOfItsOwn()
    {
        // A scope that happens to select everything still names a different version: the scope is part of what it is.
        var code = "spo2";
        await PostAsync(Observations.Valid(entity: "patient-scope-name", code: code, value: 97, unit: "%"));
        var unscoped = await CreateScopedAsync(new { codes = new[] { code } });
        var scoped = await CreateScopedAsync(new { codes = new[] { code }, since = DateTimeOffset.UnixEpoch });

        Assert.Equal(unscoped.RowCount, scoped.RowCount);
        Assert.NotEqual(unscoped.Version, scoped.Version);
        Assert.Null(unscoped.Sources);
        Assert.Null(unscoped.Since);
        Assert.Equal(DateTimeOffset.UnixEpoch, scoped.Since);
        Assert.Equal(await ReadRowsAsync(unscoped.Version), await ReadRowsAsync(scoped.Version));
    }

    [Fact]
    public async Task ScopedVersion_BadScope_Is400NamingTheField()
    {
        var now = DateTimeOffset.UtcNow;
        var backwards = await _http.PostAsJsonAsync("/api/ingestion/datasets", new { since = now, until = now.AddHours(-1) });
        var control = await _http.PostAsJsonAsync("/api/ingestion/datasets", new { sources = new[] { "ok", "bad\u0001" } });
        var tooMany = await _http.PostAsJsonAsync("/api/ingestion/datasets", new { sources = Enumerable.Range(0, 101).Select(i => $"s{i}").ToArray() });
        var notATime = await _http.PostAsync("/api/ingestion/datasets", new StringContent("""{"since":"yesterday"}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Contains("must be after since", await backwards.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, control.StatusCode);
        Assert.Contains("sources[1]", await control.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("at most 100", await tooMany.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, notATime.StatusCode);
        Assert.Contains("since", await notATime.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    async Task<DatasetVersion> CreateScopedAsync(object request)
    {
        var response = await _http.PostAsJsonAsync("/api/ingestion/datasets", request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<DatasetVersion>(EnvelopeSerializer.Options))!;
    }

    async Task<List<string>> ReadEntitiesAsync(string version)
    {
        var text = await _http.GetStringAsync($"/api/ingestion/datasets/{Uri.EscapeDataString(version)}/entities");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonSerializer.Deserialize<string>(line)!).ToList();
    }

    async Task PostAsync(Dictionary<string, object?> observation) =>
        Assert.Equal(HttpStatusCode.Accepted, (await _http.PostAsJsonAsync("/api/ingestion/observations", observation)).StatusCode);

    Task<DatasetVersion> CreateVersionAsync(string code) => CreateScopedAsync(new { codes = new[] { code }, createdBy = "tests" });

    async Task<List<DatasetRow>> ReadRowsAsync(string version)
    {
        var text = await _http.GetStringAsync($"/api/ingestion/datasets/{Uri.EscapeDataString(version)}/observations");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonSerializer.Deserialize<DatasetRow>(line, EnvelopeSerializer.Options)!).ToList();
    }
}
