using Mlops.Features.Storage;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Features.Tests.Storage;

/// <summary>A features database created before <c>available_time</c> / <c>known_at</c> existed is upgraded in place.</summary>
public sealed class FeatureDatabaseUpgradeTests
{
    const string FirstReleaseDdl = """
        CREATE TABLE feature_observations (
            observation_id text PRIMARY KEY,
            entity_id text NOT NULL,
            code text NOT NULL,
            value double precision NOT NULL,
            event_time timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL
        );
        INSERT INTO feature_observations VALUES ('old-1', 'patient-old', 'heart_rate', 77, '2026-11-01T10:00:00Z', '2026-11-01T10:00:05Z');
        """;

    [Fact]
    public async Task EnsureSchema_OnAFirstReleaseDatabase_KnowsOldRowsFromTheirRecordedTimeAndNewOnesFromTheirAvailableTime()
    {
        await using var dataSource = NpgsqlDataSource.Create(await PlatformInfrastructure.CreateDatabaseAsync("features_upgrade"));
        await using (var create = dataSource.CreateCommand(FirstReleaseDdl))
        {
            await create.ExecuteNonQueryAsync();
        }

        var database = new FeatureDatabase(dataSource);
        var eventTime = new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);
        await using (var connection = await database.OpenConnectionAsync(CancellationToken.None))
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await FeatureStore.AddObservationsAsync(connection, transaction,
            [
                new StoredObservation("new-1", "patient-old", "lactate", 3.1, eventTime, eventTime.AddDays(20), eventTime.AddHours(2)),
                new StoredObservation("new-2", "patient-old", "lactate", 2.0, eventTime.AddHours(1), eventTime.AddDays(20), null),
            ], CancellationToken.None);
            await transaction.CommitAsync();
        }

        await using var connectionForRead = await database.OpenConnectionAsync(CancellationToken.None);
        var windows = await FeatureStore.LoadEntityWindowsAsync(connectionForRead, null, ["patient-old"], TimeSpan.FromDays(30), CancellationToken.None);
        var known = windows["patient-old"].ToDictionary(p => p.ObservationId, p => p.KnownAt);

        Assert.Equal(new DateTimeOffset(2026, 11, 1, 10, 0, 5, TimeSpan.Zero), known["old-1"]);
        Assert.Equal(eventTime.AddHours(2), known["new-1"]);
        Assert.Equal(eventTime.AddDays(20), known["new-2"]);
    }
}
