using Xunit.Abstractions;

namespace Mlops.EndToEnd.Tests.Chaos;

/// <summary>
/// Each fault in turn under a steady stream through ingestion → features → inference streaming →
/// <c>predictions.v1</c> → monitoring: a SIGKILL of every service and its restart, and PostgreSQL, RabbitMQ, Kafka (with
/// ZooKeeper) stopped and started through infra.sh. Each ends with 0 observations lost, 0 applied twice, exactly one
/// prediction per feature event, every saga finished, and the recovery time printed (docs/reliability.md).
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class ChaosTests(ChaosFixture fixture, ITestOutputHelper output)
{
    static readonly TimeSpan KillDowntime = TimeSpan.FromSeconds(5);
    static readonly TimeSpan InfrastructureDowntime = TimeSpan.FromSeconds(10);

    ChaosScenario Scenario => new(fixture, output);

    [Fact]
    public Task IngestionKilled_StreamLosesNothing() => Run("kill -9 ingestion", Scenario.Kill("ingestion", KillDowntime));

    [Fact]
    public Task FeaturesKilled_StreamLosesNothing() => Run("kill -9 features", Scenario.Kill("features", KillDowntime));

    [Fact]
    public Task InferenceKilled_StreamLosesNothing() => Run("kill -9 inference", Scenario.Kill("inference", KillDowntime));

    [Fact]
    public Task GatewayKilled_StreamLosesNothing() => Run("kill -9 gateway", Scenario.Kill("gateway", KillDowntime));

    [Fact]
    public Task TrainingKilled_StreamLosesNothing() => Run("kill -9 training", Scenario.Kill("training", KillDowntime), withTrainingRun: true);

    [Fact]
    public Task RegistryKilled_StreamLosesNothing() => Run("kill -9 registry", Scenario.Kill("registry", KillDowntime), withTrainingRun: true);

    [Fact]
    public Task MonitoringKilled_StreamLosesNothing() => Run("kill -9 monitoring", Scenario.Kill("monitoring", KillDowntime));

    [Fact]
    public Task PostgresStopped_StreamLosesNothing() => Run("PostgreSQL stop/start", ChaosScenario.Stop(InfrastructureDowntime, "postgres"));

    [Fact]
    public Task RabbitMqStopped_StreamLosesNothing() => Run("RabbitMQ stop/start", ChaosScenario.Stop(InfrastructureDowntime, "rabbitmq"), withTrainingRun: true);

    [Fact]
    public Task KafkaAndZooKeeperStopped_StreamLosesNothing() => Run("Kafka+ZooKeeper stop/start", ChaosScenario.Stop(InfrastructureDowntime, "kafka", "zookeeper"));

    async Task Run(string fault, Func<Task> inject, bool withTrainingRun = false)
    {
        foreach (var line in fixture.StartLog)
        {
            output.WriteLine(line);
        }

        await Scenario.RunAsync(fault, inject, withTrainingRun ? fixture.Training.StartAsync : null);
    }
}
