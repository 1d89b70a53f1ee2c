using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Contracts.Training;
using Mlops.Training.Pipeline;

namespace Mlops.Training.Tests.Pipeline;

/// <summary>The pipeline saga's registration transitions on MassTransit's in-memory test harness (no broker, no database).</summary>
public sealed class TrainingRunStateMachineTests : IAsyncLifetime
{
    ServiceProvider _provider = null!;
    ITestHarness _harness = null!;
    ISagaStateMachineTestHarness<TrainingRunStateMachine, TrainingRunState> _saga = null!;

    public async Task InitializeAsync()
    {
        _provider = new ServiceCollection()
            .AddMassTransitTestHarness(bus => bus.AddSagaStateMachine<TrainingRunStateMachine, TrainingRunState>().InMemoryRepository())
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
        _saga = _harness.GetSagaStateMachineHarness<TrainingRunStateMachine, TrainingRunState>();
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
    }

    static StartTrainingRun Command() => new()
    {
        RunId = NewId.NextGuid(), ModelName = "deterioration", FeatureSetVersion = "fs-1", DatasetVersion = "ds-1", LabelName = "deteriorated",
        Algorithm = "gbdt", RequestedBy = "tests",
    };

    static ModelVersionRegistered Registration(StartTrainingRun run, string? trainingRunId = null) => new()
    {
        ModelName = run.ModelName, Version = TrainingPipeline.ModelVersionOf(run), ArtifactSha256 = new string('a', 64),
        Signature = new ModelSignature { Inputs = [new FeatureSpec { Name = "heart_rate", Type = "float32" }], Outputs = [new FeatureSpec { Name = "probability", Type = "float32" }] },
        Metrics = new ModelMetrics { Overall = new Dictionary<string, double> { ["auroc"] = 0.8 } },
        DatasetVersion = run.DatasetVersion, FeatureSetVersion = run.FeatureSetVersion, TrainingRunId = trainingRunId ?? run.RunId.ToString(),
        CodeVersion = "test", RegisteredBy = "tests",
    };

    /// <summary>Starts a run and completes every step before Register; returns when the saga is at Register.</summary>
    async Task<StartTrainingRun> AtRegisterAsync()
    {
        var run = Command();
        await _harness.Bus.Publish(run);
        Assert.NotNull(await _saga.Exists(run.RunId, m => m.ValidateData));
        foreach (var (step, next) in TrainingSteps.All.Zip(TrainingSteps.All.Skip(1)).Take(TrainingSteps.All.Count - 1))
        {
            await _harness.Bus.Publish(new TrainingStepCompleted { RunId = run.RunId, Step = step, ArtifactSha256 = new string('a', 64) });
            Assert.NotNull(await _saga.Exists(run.RunId, m => m.GetState(next)));
        }

        return run;
    }

    async Task<StartTrainingRun> AwaitingRegistrationAsync()
    {
        var run = await AtRegisterAsync();
        await _harness.Bus.Publish(new TrainingStepCompleted { RunId = run.RunId, Step = TrainingSteps.Register, ArtifactSha256 = new string('a', 64) });
        Assert.NotNull(await _saga.Exists(run.RunId, m => m.AwaitingRegistration));
        return run;
    }

    [Fact]
    public async Task RegisterStepCompleted_NoAnswerYet_WaitsInsteadOfCompleting()
    {
        var run = await AwaitingRegistrationAsync();

        var instance = _saga.Sagas.Contains(run.RunId)!;
        Assert.Equal(nameof(TrainingRunStateMachine.AwaitingRegistration), instance.CurrentState);
        Assert.NotNull(instance.RegistrationSentAt);
        Assert.False(await _harness.Published.Any<TrainingRunCompleted>(m => m.Context.Message.RunId == run.RunId));
    }

    [Fact]
    public async Task ModelVersionRegistered_ForTheRun_CompletesItAndPublishesCompleted()
    {
        var run = await AwaitingRegistrationAsync();

        await _harness.Bus.Publish(Registration(run));

        Assert.NotNull(await _saga.Exists(run.RunId, m => m.Completed));
        Assert.True(await _harness.Published.Any<TrainingRunCompleted>(m => m.Context.Message.RunId == run.RunId
            && m.Context.Message.ModelVersion == TrainingPipeline.ModelVersionOf(run)));
    }

    [Fact]
    public async Task ModelVersionRegistered_BeforeTheRegisterStepReportsBack_StillCompletes()
    {
        var run = await AtRegisterAsync();

        await _harness.Bus.Publish(Registration(run));
        Assert.NotNull(await _saga.Exists(run.RunId, m => m.Completed));
        await _harness.Bus.Publish(new TrainingStepCompleted { RunId = run.RunId, Step = TrainingSteps.Register });

        Assert.True(await _harness.Consumed.Any<TrainingStepCompleted>(m => m.Context.Message.RunId == run.RunId && m.Context.Message.Step == TrainingSteps.Register));
        Assert.Equal(nameof(TrainingRunStateMachine.Completed), _saga.Sagas.Contains(run.RunId)!.CurrentState);
    }

    [Fact]
    public async Task ModelVersionRegistered_ForAnotherRun_LeavesTheRunWaiting()
    {
        var run = await AwaitingRegistrationAsync();
        var other = Registration(run, trainingRunId: NewId.NextGuid().ToString());

        await _harness.Bus.Publish(other);

        Assert.True(await _harness.Consumed.Any<ModelVersionRegistered>(m => m.Context.Message.TrainingRunId == other.TrainingRunId));
        Assert.Equal(nameof(TrainingRunStateMachine.AwaitingRegistration), _saga.Sagas.Contains(run.RunId)!.CurrentState);
    }

    [Fact]
    public async Task RegistryCommandRejected_ForTheRun_FailsItAtRegisterWithTheRegistrysReason()
    {
        var run = await AwaitingRegistrationAsync();

        await _harness.Bus.Publish(new RegistryCommandRejected
        {
            Command = nameof(RegisterModelVersion), ModelName = run.ModelName, TrainingRunId = run.RunId.ToString(),
            Errors = ["Version: version 1.0.0 is already registered with another artifact; versions are immutable"],
        });

        Assert.NotNull(await _saga.Exists(run.RunId, m => m.Failed));
        var instance = _saga.Sagas.Contains(run.RunId)!;
        Assert.Equal(TrainingSteps.Register, instance.FailedStep);
        Assert.Equal("the registry refused the model version: Version: version 1.0.0 is already registered with another artifact; versions are immutable", instance.Reason);
        Assert.True(await _harness.Published.Any<TrainingRunFailed>(m => m.Context.Message.RunId == run.RunId && m.Context.Message.Step == TrainingSteps.Register));
    }

    [Fact]
    public async Task Sweeper_RunWaitingPastTheConfirmationTimeout_FailsItAtRegister()
    {
        var run = await AwaitingRegistrationAsync();
        var options = new RegistrationOptions();
        var sweeper = new RegistrationTimeoutSweeper(_provider.GetRequiredService<IServiceScopeFactory>(), Options.Create(options), TimeProvider.System,
            NullLogger<RegistrationTimeoutSweeper>.Instance);
        var sentAt = _saga.Sagas.Contains(run.RunId)!.RegistrationSentAt!.Value;

        var early = await sweeper.SweepAsync(sentAt + options.ConfirmationTimeout - TimeSpan.FromSeconds(1), CancellationToken.None);
        var due = await sweeper.SweepAsync(sentAt + options.ConfirmationTimeout, CancellationToken.None);

        Assert.Empty(early);
        Assert.Equal([run.RunId], due);
        Assert.NotNull(await _saga.Exists(run.RunId, m => m.Failed));
        var instance = _saga.Sagas.Contains(run.RunId)!;
        Assert.Equal(TrainingSteps.Register, instance.FailedStep);
        Assert.Contains("neither confirmed nor refused", instance.Reason);
    }
}
