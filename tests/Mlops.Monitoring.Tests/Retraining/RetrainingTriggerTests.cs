using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Performance;
using Mlops.Monitoring.Retraining;
using Mlops.Monitoring.Settings;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Monitoring.Tests.Retraining;

/// <summary>
/// The drift and degradation triggers on MassTransit's in-memory harness, with the shipped retraining options
/// (appsettings.json) and the per-model settings store on a database of its own: degradation of the champion asks for a
/// retraining, drift (off by default) and other variants do not; a model the files do not name follows its stored settings,
/// and drift asks for one once the stored settings switch it on.
/// </summary>
public sealed class RetrainingTriggerTests : IAsyncLifetime
{
    ServiceProvider _provider = null!;
    ITestHarness _harness = null!;
    NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        var shipped = new ConfigurationBuilder().AddJsonFile(ShippedSettings.Path).Build();
        _dataSource = NpgsqlDataSource.Create(await PlatformInfrastructure.CreateDatabaseAsync("retraining_triggers"));
        var services = new ServiceCollection().AddSingleton<IConfiguration>(shipped).AddSingleton(_dataSource).AddSingleton<ModelSettingsStore>();
        services.AddOptions<RetrainingOptions>().BindConfiguration(RetrainingOptions.Section);
        services.AddOptions<PerformanceOptions>().BindConfiguration(PerformanceOptions.Section);
        _provider = services
            .AddMassTransitTestHarness(bus =>
            {
                bus.AddConsumer<DegradationRetrainingTrigger>();
                bus.AddConsumer<DriftRetrainingTrigger>();
            })
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        // The triggers read the settings table: on a loaded machine a first read can outlast the default inactivity wait
        // (the harness also waits this long when it stops, so not more).
        _harness.TestInactivityTimeout = TimeSpan.FromSeconds(3);
        await _harness.Start();
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    static PerformanceDegraded Degraded(string model = "deterioration", string variant = "champion") => new()
    {
        AlertId = Guid.NewGuid(), ModelName = model, ModelVersion = "1.0.0", Variant = variant, WindowId = 17, WindowStart = DateTimeOffset.UtcNow.AddHours(-2),
        WindowEnd = DateTimeOffset.UtcNow.AddHours(-1), Predictions = 900, Labeled = 850, Positives = 90, Auroc = 0.71, BaselineAuroc = 0.8, BaselineSource = "version",
        Margin = 0.05, Auprc = 0.3, Brier = 0.1, Ece = 0.02, DetectedAt = DateTimeOffset.UtcNow,
    };

    static DriftDetected Drift() => new()
    {
        AlertId = Guid.NewGuid(), ModelName = "deterioration", ModelVersion = "1.0.0", Variant = "champion", WindowId = 3, WindowKind = "count",
        WindowStart = DateTimeOffset.UtcNow.AddHours(-1), WindowEnd = DateTimeOffset.UtcNow, WindowSamples = 2000, DatasetDrift = true, DriftedShare = 0.6,
        Features = [new DriftEvidence { Feature = "spo2", Method = "wasserstein", Statistic = 0.3, Score = 0.3, Threshold = 0.1, Psi = 0.4, ReferenceCount = 5000, CurrentCount = 2000 }],
        DetectedAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task PerformanceDegraded_ChampionOfAModelWithTheTriggerOn_SendsRequestRetrainingWithTheEvidence()
    {
        var alert = Degraded();

        await _harness.Bus.Publish(alert);

        Assert.True(await _harness.Sent.Any<RequestRetraining>(m => m.Context.Message.RequestId == alert.AlertId));
        var sent = _harness.Sent.Select<RequestRetraining>(m => m.Context.Message.RequestId == alert.AlertId).Single();
        Assert.EndsWith(CommandQueues.NameOf<RequestRetraining>(), sent.Context.DestinationAddress!.AbsolutePath);
        var request = sent.Context.Message;
        Assert.Equal((RetrainingTriggers.Degradation, "deterioration"), (request.Trigger, request.ModelName));
        Assert.Equal("0.71", request.Evidence["auroc"]);
        Assert.Equal("0.8", request.Evidence["baselineAuroc"]);
        Assert.Contains("AUROC 0.71 fell below the version baseline 0.8", request.Reason);
    }

    [Fact]
    public async Task PerformanceDegraded_ChallengerVariant_SendsNothing()
    {
        var alert = Degraded(variant: "challenger");

        await _harness.Bus.Publish(alert);

        Assert.True(await _harness.Consumed.Any<PerformanceDegraded>(m => m.Context.Message.AlertId == alert.AlertId));
        // The trigger sends inside its consume: once the alert is consumed, a request would already be recorded.
        Assert.False(_harness.Sent.Select<RequestRetraining>(m => m.Context.Message.RequestId == alert.AlertId).Any());
    }

    [Fact]
    public async Task PerformanceDegraded_ModelWithoutRetrainingOptions_SendsNothing()
    {
        var alert = Degraded(model: "not-configured");

        await _harness.Bus.Publish(alert);

        Assert.True(await _harness.Consumed.Any<PerformanceDegraded>(m => m.Context.Message.AlertId == alert.AlertId));
        // The trigger sends inside its consume: once the alert is consumed, a request would already be recorded.
        Assert.False(_harness.Sent.Select<RequestRetraining>(m => m.Context.Message.RequestId == alert.AlertId).Any());
    }

    [Fact]
    public async Task DriftDetected_ShippedOptionsLeaveDriftOff_SendsNothing()
    {
        var alert = Drift();

        await _harness.Bus.Publish(alert);

        Assert.True(await _harness.Consumed.Any<DriftDetected>(m => m.Context.Message.AlertId == alert.AlertId));
        // The trigger sends inside its consume: once the alert is consumed, a request would already be recorded.
        Assert.False(_harness.Sent.Select<RequestRetraining>(m => m.Context.Message.RequestId == alert.AlertId).Any());
    }

    [Fact]
    public async Task DriftDetected_ChampionOfAModelWithDriftSwitchedOn_SendsRequestRetrainingWithTheEvidence()
    {
        // Drift retraining is off in the shipped files; an operator switches it on for the model over the settings API.
        await _provider.GetRequiredService<ModelSettingsStore>().SaveAsync("deterioration", new ModelSettings
        {
            Retraining = new RetrainingModelOptions { OnDrift = true }, UpdatedBy = "ops", UpdatedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None);
        var alert = Drift();

        await _harness.Bus.Publish(alert);

        Assert.True(await _harness.Sent.Any<RequestRetraining>(m => m.Context.Message.RequestId == alert.AlertId));
        var sent = _harness.Sent.Select<RequestRetraining>(m => m.Context.Message.RequestId == alert.AlertId).Single();
        Assert.EndsWith(CommandQueues.NameOf<RequestRetraining>(), sent.Context.DestinationAddress!.AbsolutePath);
        var request = sent.Context.Message;
        Assert.Equal((RetrainingTriggers.Drift, "deterioration", "monitoring:drift"), (request.Trigger, request.ModelName, request.RequestedBy));
        Assert.Equal("drift in spo2 (window 3, 60 % of features)", request.Reason);
        Assert.Equal(("spo2", "3", "true", "1.0.0"), (request.Evidence["features"], request.Evidence["windowId"], request.Evidence["datasetDrift"], request.Evidence["modelVersion"]));
        Assert.Equal(alert.DetectedAt, request.RequestedAt);
    }

    [Fact]
    public async Task DriftDetected_ChallengerOfAModelWithDriftSwitchedOn_SendsNothing()
    {
        await _provider.GetRequiredService<ModelSettingsStore>().SaveAsync("deterioration", new ModelSettings
        {
            Retraining = new RetrainingModelOptions { OnDrift = true }, UpdatedBy = "ops", UpdatedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None);
        var alert = Drift() with { Variant = "challenger" };

        await _harness.Bus.Publish(alert);

        Assert.True(await _harness.Consumed.Any<DriftDetected>(m => m.Context.Message.AlertId == alert.AlertId));
        // The trigger sends inside its consume: once the alert is consumed, a request would already be recorded.
        Assert.False(_harness.Sent.Select<RequestRetraining>(m => m.Context.Message.RequestId == alert.AlertId).Any());
    }

    [Fact]
    public async Task PerformanceDegraded_ModelWithDegradationSetOverTheApi_SendsRequestRetraining()
    {
        var model = PlatformInfrastructure.UniqueName("own-model");
        await _provider.GetRequiredService<ModelSettingsStore>().SaveAsync(model, new ModelSettings
        {
            Retraining = new RetrainingModelOptions { OnDegradation = true }, UpdatedBy = "ops", UpdatedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None);
        var alert = Degraded(model: model);

        await _harness.Bus.Publish(alert);

        Assert.True(await _harness.Sent.Any<RequestRetraining>(m => m.Context.Message.RequestId == alert.AlertId));
        Assert.Equal(model, _harness.Sent.Select<RequestRetraining>(m => m.Context.Message.RequestId == alert.AlertId).Single().Context.Message.ModelName);
    }

    [Fact]
    public async Task PerformanceDegraded_ShippedModelWhoseStoredSettingsTurnDegradationOff_SendsNothing()
    {
        // Stored settings replace the shipped ones for that model: an operator can silence a trigger without a redeploy.
        var store = _provider.GetRequiredService<ModelSettingsStore>();
        await store.SaveAsync("deterioration", new ModelSettings
        {
            Retraining = new RetrainingModelOptions { OnDegradation = false }, UpdatedBy = "ops", UpdatedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None);
        var alert = Degraded();

        await _harness.Bus.Publish(alert);

        Assert.True(await _harness.Consumed.Any<PerformanceDegraded>(m => m.Context.Message.AlertId == alert.AlertId));
        Assert.False(_harness.Sent.Select<RequestRetraining>(m => m.Context.Message.RequestId == alert.AlertId).Any());
    }
}
