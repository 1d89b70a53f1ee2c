using Mlops.Ingestion.Datasets;
using Mlops.Ingestion.Storage;
using Mlops.Ingestion.Validation;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Ingestion.Tests.Storage;

/// <summary>A database created by the release before <c>available_time</c> existed is upgraded in place.</summary>
public sealed class IngestionDatabaseUpgradeTests
{
    // The raw store's tables exactly as the first release created them.
    const string FirstReleaseDdl = """
        CREATE TABLE observations (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            observation_id text NOT NULL UNIQUE,
            entity_id text NOT NULL,
            entity_type text NOT NULL,
            code text NOT NULL,
            value double precision NOT NULL,
            category text NULL,
            unit text NOT NULL,
            original_value text NOT NULL,
            original_unit text NULL,
            event_time timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            source_system text NOT NULL,
            content_hash text NOT NULL,
            inserted_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
        );
        CREATE TABLE observation_outbox (seq bigint PRIMARY KEY, traceparent text NULL, tracestate text NULL);
        CREATE TABLE dataset_versions (
            version text PRIMARY KEY, snapshot pg_snapshot NOT NULL, max_seq bigint NOT NULL, row_count bigint NOT NULL, codes text[] NULL,
            created_at timestamptz NOT NULL DEFAULT now(), created_by text NULL, description text NULL
        );
        INSERT INTO observations (observation_id, entity_id, entity_type, code, value, unit, original_value, event_time, source_system, content_hash)
        VALUES ('old-1', 'patient-old', 'patient', 'heart_rate', 77, '/min', '77', '2026-11-01T10:00:00Z', 'ward', 'h');
        """;

    [Fact]
    public async Task EnsureSchema_OnAFirstReleaseDatabase_AddsAvailableTimeAndKeepsOldRows()
    {
        await using var dataSource = NpgsqlDataSource.Create(await PlatformInfrastructure.CreateDatabaseAsync("ingestion_upgrade"));
        await using (var create = dataSource.CreateCommand(FirstReleaseDdl))
        {
            await create.ExecuteNonQueryAsync();
        }

        var database = new IngestionDatabase(dataSource);
        await database.EnsureSchemaAsync(CancellationToken.None);
        var eventTime = new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);
        var stored = await new RawObservationStore(database, new OutboxSignal()).StoreAsync(
        [
            new ValidatedObservation
            {
                ObservationId = "new-1", EntityId = "patient-old", EntityType = "patient", Code = "lactate", Value = 3.1, Unit = "mmol/L",
                OriginalValue = "3.1", OriginalUnit = "mmol/L", EventTime = eventTime, AvailableTime = eventTime.AddHours(2), SourceSystem = "lab",
            },
        ], CancellationToken.None);
        Assert.Equal(StoreOutcome.Accepted, Assert.Single(stored).Outcome);

        var datasets = new DatasetStore(database);
        var version = await datasets.CreateAsync(new DatasetScope(), "tests", null, CancellationToken.None);
        var rows = new List<DatasetRow>();
        await foreach (var row in datasets.ReadAsync(version.Version, byEntity: false, CancellationToken.None))
        {
            rows.Add(row);
        }

        Assert.Equal(["old-1", "new-1"], rows.Select(r => r.ObservationId));
        Assert.Null(rows[0].AvailableTime);
        Assert.Equal(eventTime.AddHours(2), rows[1].AvailableTime);
    }

    [Fact]
    public void Canonical_RowWithoutAvailableTime_HashesAsBeforeTheColumnExisted()
    {
        var row = new DatasetRow(1, "o", "e", "patient", "heart_rate", 80, null, "/min", new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), DateTimeOffset.UnixEpoch, "s");

        Assert.Equal($"o\u001fe\u001fheart_rate\u001f80\u001f\u001f/min\u001f{row.EventTime.UtcTicks}\n", DatasetStore.Canonical(row));
        Assert.NotEqual(DatasetStore.Canonical(row), DatasetStore.Canonical(row with { AvailableTime = row.EventTime }));
    }
}
