using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Features;
using Mlops.Contracts.Ingestion;
using Mlops.Features.Api;
using Mlops.Features.Storage;
using Mlops.Features.Tests.Api;
using Mlops.Features.TrainingSets;
using Mlops.Kafka;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Features.Tests.Streaming;

/// <summary>A set registered at run time is computed beside the shipped one, on every replica, without a restart.</summary>
[Collection(DefinitionSetsCollection.Name)]
public sealed class RegisteredSetStreamingTests(DefinitionSetsFixture service)
{
    readonly HttpClient _http = service.CreateClient();

    static ObservationAccepted Observation(string id, string entity, string code, double value, DateTimeOffset eventTime, DateTimeOffset? recordedAt = null) => new()
    {
        ObservationId = id, EntityId = entity, EntityType = "patient", Code = code, Value = value, Unit = "x",
        EventTime = eventTime, RecordedAt = recordedAt ?? eventTime, SourceSystem = "test", Sequence = 0,
    };

    // Whole seconds: PostgreSQL keeps microseconds, .NET ticks are finer.
    static DateTimeOffset HoursAgo(int hours) => DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-hours).ToUnixTimeSeconds());

    async Task<string> RegisterAsync(HttpClient http, string name)
    {
        var response = await http.PutAsJsonAsync($"/api/features/definition-sets/{name}", DefinitionSetsApiTests.MetabolicSet());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<DefinitionSetsApi.DefinitionSetEntry>(FeatureStore.Json))!.Version;
    }

    [Fact]
    public async Task RegisteredSetOverNewCodes_NewObservations_PublishItsVectorsBesideTheShippedSet_WithoutRestart()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var entity = $"meta-{run}";
        var version = await RegisterAsync(_http, $"metabolic-{run}");
        using var reader = service.Reader(service.FeaturesTopic);

        var start = HoursAgo(5);
        await service.PublishAsync(service.ObservationsTopic, Observation($"bmi-{run}", entity, "bmi", 25, start));
        await service.PublishAsync(service.ObservationsTopic, Observation($"g1-{run}", entity, "glucose", 5.0, start.AddHours(1)));
        await service.PublishAsync(service.ObservationsTopic, Observation($"g2-{run}", entity, "glucose", 7.0, start.AddHours(2)));
        await service.PublishAsync(service.ObservationsTopic, Observation($"g3-{run}", entity, "glucose", 9.0, start.AddHours(4)));

        var vector = await reader.WaitForAsync(
            v => v.EntityId == entity && v.FeatureSetVersion == version && v.Values["glucose_count_24h"] == 3, "the registered set's vector covers all four observations");
        Assert.Equal(9.0, vector.Values["glucose_last_6h"]);
        Assert.Equal(7.0, vector.Values["glucose_mean_24h"]!.Value, precision: 9);
        Assert.Equal(25, vector.Values["bmi_last_168h"]);
        Assert.Equal(9.0 / 25, vector.Values["glucose_per_bmi"]!.Value, precision: 9);
        Assert.Equal("patient", vector.EntityType);
        Assert.Equal($"g3-{run}", vector.TriggeringObservationId);
        Assert.False(vector.Values.ContainsKey("news2"));

        // The shipped set is computed as before, and stays the default online read.
        var shipped = Definitions.Shipped().Version;
        await reader.WaitForAsync(v => v.EntityId == entity && v.FeatureSetVersion == shipped && v.EventTime == vector.EventTime, "the shipped set's vector was published too");
        // Last of the entity's vectors at that time, so consumers keeping the newest vector per entity keep the shipped set's.
        Assert.True(reader.IndexOf(v => v.EntityId == entity && v.FeatureSetVersion == shipped && v.EventTime == vector.EventTime)
            > reader.IndexOf(v => v.EntityId == entity && v.FeatureSetVersion == version && v.EventTime == vector.EventTime));
        var online = await _http.GetFromJsonAsync<StoredVector>($"/api/features/online/{entity}?set=metabolic-{run}", FeatureStore.Json);
        Assert.Equal(version, online!.FeatureSetVersion);
        Assert.Equal(vector.Values.OrderBy(kv => kv.Key), online.Values.OrderBy(kv => kv.Key));
        Assert.Equal(shipped, (await _http.GetFromJsonAsync<StoredVector>($"/api/features/online/{entity}", FeatureStore.Json))!.FeatureSetVersion);
        Assert.Equal(shipped, (await _http.GetFromJsonAsync<StoredVector>($"/api/features/online/{entity}?set=vitals", FeatureStore.Json))!.FeatureSetVersion);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/features/online/{entity}?set=none-{run}")).StatusCode);
    }

    [Fact]
    public async Task SecondReplica_PicksUpASetRegisteredOnTheFirst_AndComputesIt()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var name = $"replicated-{run}";
        // A second process on the same database; its own topics so only it computes what is sent there.
        var topic = PlatformInfrastructure.UniqueName("obs-replica");
        var featuresTopic = PlatformInfrastructure.UniqueName("features-replica");
        await service.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([topic, featuresTopic]);
        await using var replica = ServiceProcess.Start("services/features/Mlops.Features", new Dictionary<string, string>
        {
            ["ConnectionStrings__features"] = service.ConnectionString,
            ["Features__Topics__Observations"] = topic,
            ["Features__Topics__Features"] = featuresTopic,
            ["Features__Topics__Labels"] = PlatformInfrastructure.UniqueName("labels-replica"),
            ["Features__Topics__ObservationGroup"] = PlatformInfrastructure.UniqueName("stream"),
            ["Features__Topics__LabelGroup"] = PlatformInfrastructure.UniqueName("labels"),
        });
        await replica.WaitUntilReadyAsync();
        using var replicaHttp = new HttpClient { BaseAddress = replica.BaseAddress };
        var before = await replicaHttp.GetFromJsonAsync<List<DefinitionSetsApi.DefinitionSetEntry>>("/api/features/definition-sets", FeatureStore.Json);
        Assert.DoesNotContain(before!, s => s.Name == name);

        var version = await RegisterAsync(_http, name);

        await Eventually.WaitUntilAsync(async () => (await replicaHttp.GetAsync($"/api/features/definition-sets/{name}")).StatusCode == HttpStatusCode.OK,
            "the replica lists the set registered on the other host");
        using var reader = service.Reader(featuresTopic);
        var entity = $"replica-{run}";
        await service.PublishAsync(topic, Observation($"r-{run}", entity, "glucose", 6.5, HoursAgo(1)));
        var vector = await reader.WaitForAsync(v => v.EntityId == entity && v.FeatureSetVersion == version, "the replica computed the registered set");
        Assert.Equal(6.5, vector.Values["glucose_last_6h"]);
        var online = await replicaHttp.GetFromJsonAsync<StoredVector>($"/api/features/online/{entity}?set={name}", FeatureStore.Json);
        Assert.Equal(6.5, online!.Values["glucose_last_6h"]);
    }

    [Fact]
    public async Task RegisteredSet_BackfilledOverExistingHistory_ServesOnline_AndTrainsPointInTime()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var entity = $"history-{run}";
        var name = $"history-{run}";
        var labelTime = HoursAgo(5);
        // History from before the set existed: one value known at the label time, one measured before it but known
        // only after (a late lab), one after it.
        await service.PublishAsync(service.ObservationsTopic, Observation($"known-{run}", entity, "glucose", 1.2, labelTime.AddHours(-3)));
        await service.PublishAsync(service.ObservationsTopic, Observation($"late-{run}", entity, "glucose", 7.5, labelTime.AddHours(-1), labelTime.AddHours(2)));
        await service.PublishAsync(service.ObservationsTopic, Observation($"future-{run}", entity, "glucose", 9.9, labelTime.AddHours(1)));
        await using var db = NpgsqlDataSource.Create(service.ConnectionString);
        await Eventually.WaitUntilAsync(async () => await CountAsync(db, "SELECT count(*) FROM feature_observations WHERE entity_id = $1", entity) == 3
            && await CountAsync(db, "SELECT count(*) FROM online_vectors WHERE entity_id = $1", entity) > 0, "the history was applied");

        var version = await RegisterAsync(_http, name);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/features/online/{entity}?set={name}")).StatusCode);

        var backfill = await _http.PostAsJsonAsync("/api/features/backfill", new { featureSet = name });
        Assert.Equal(HttpStatusCode.OK, backfill.StatusCode);
        var result = (await backfill.Content.ReadFromJsonAsync<FeaturesApi.BackfillResult>(FeatureStore.Json))!;
        Assert.Equal(version, result.FeatureSetVersion);
        Assert.True(result.Entities >= 1);
        var online = await _http.GetFromJsonAsync<StoredVector>($"/api/features/online/{entity}?set={name}", FeatureStore.Json);
        Assert.Equal(9.9, online!.Values["glucose_last_24h"]);
        Assert.Equal(3, online.Values["glucose_count_24h"]);

        var label = new LabelRecorded { LabelId = $"label-{run}", EntityId = entity, Name = $"hyperglycaemia-{run}", Value = 1, EventTime = labelTime };
        Assert.Equal(HttpStatusCode.Accepted, (await _http.PostAsJsonAsync("/api/features/labels", label)).StatusCode);
        var byName = Assert.Single(await TrainingRowsAsync(new { labelName = label.Name, featureSet = name }));
        Assert.Equal(version, byName.FeatureSetVersion);
        Assert.Equal(1.2, byName.Features["glucose_last_24h"]);
        Assert.Equal(1, byName.Features["glucose_count_24h"]);
        var byVersion = Assert.Single(await TrainingRowsAsync(new { labelName = label.Name, featureSetVersion = version }));
        Assert.Equal(byName.Features.OrderBy(kv => kv.Key), byVersion.Features.OrderBy(kv => kv.Key));
        var shipped = Assert.Single(await TrainingRowsAsync(new { labelName = label.Name }));
        Assert.Equal(Definitions.Shipped().Version, shipped.FeatureSetVersion);

        Assert.Equal(HttpStatusCode.NotFound, (await _http.PostAsJsonAsync("/api/features/training-sets", new { labelName = label.Name, featureSet = $"none-{run}" })).StatusCode);
        var mismatch = await _http.PostAsJsonAsync("/api/features/training-sets", new { labelName = label.Name, featureSet = "vitals", featureSetVersion = version });
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Contains("featureSetVersion", await mismatch.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var control = await _http.PostAsJsonAsync("/api/features/backfill", new { featureSet = "a\u0001b" });
        Assert.Equal(HttpStatusCode.BadRequest, control.StatusCode);
        Assert.Contains("featureSet", await control.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    async Task<List<TrainingRow>> TrainingRowsAsync(object request)
    {
        var response = await _http.PostAsJsonAsync("/api/features/training-sets", request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize<TrainingRow>(l, FeatureStore.Json)!).ToList();
    }

    static async Task<long> CountAsync(NpgsqlDataSource db, string sql, string entity)
    {
        await using var command = db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = entity });
        try
        {
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }
}
