using System.Text.Json.Nodes;
using Mlops.Monitoring.Retraining;

namespace Mlops.Monitoring.Tests.Retraining;

/// <summary>Starting the rollout against the registry's HTTP API (stood in): a retry after a lost answer adopts its own rollout.</summary>
public sealed class RegistryClientTests : IAsyncLifetime
{
    RegistryStandIn _registry = null!;
    HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _registry = await RegistryStandIn.StartAsync();
        _http = new HttpClient { BaseAddress = _registry.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _registry.DisposeAsync();
    }

    static JsonObject Rollout(Guid id, string candidate, string requestedBy, string state) => new()
    {
        ["rolloutId"] = id.ToString(), ["modelName"] = "deterioration", ["candidateVersion"] = candidate, ["requestedBy"] = requestedBy, ["state"] = state,
    };

    [Fact]
    public async Task StartRollout_ConflictWithItsOwnRolloutUnderWay_AdoptsIt()
    {
        var ours = Guid.NewGuid();
        _registry.RolloutsUnderWay.Add(Rollout(ours, "1.1.0", RetrainingStateMachine.Actor, "Progressing"));

        var id = await new RegistryClient(_http).StartRolloutAsync("deterioration", "1.1.0", new RetrainingRolloutOptions { Steps = [10, 100] }, CancellationToken.None);

        Assert.Equal(ours, id);
    }

    [Fact]
    public async Task StartRollout_ConflictWithSomeoneElsesRollout_FailsTheStepWithTheRegistrysAnswer()
    {
        _registry.RolloutsUnderWay.Add(Rollout(Guid.NewGuid(), "1.1.0", "ops-alice", "Paused"));

        var error = await Assert.ThrowsAsync<RetrainingStepException>(() =>
            new RegistryClient(_http).StartRolloutAsync("deterioration", "1.1.0", new RetrainingRolloutOptions { Steps = [10, 100] }, CancellationToken.None));

        Assert.Contains("409", error.Message);
        Assert.Contains("under way", error.Message);
    }
}
