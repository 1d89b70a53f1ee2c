using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Monitoring;
using Mlops.Contracts.Registry;
using Mlops.Contracts.Training;
using Mlops.Monitoring.Retraining;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests.Retraining;

/// <summary>
/// The retraining saga's transitions on MassTransit's in-memory test harness (no broker, no database): the step consumers'
/// answers are published by the test as those consumers would publish them.
/// </summary>
public sealed class RetrainingStateMachineTests : IAsyncLifetime
{
    ServiceProvider _provider = null!;
    ITestHarness _harness = null!;
    ISagaStateMachineTestHarness<RetrainingStateMachine, RetrainingState> _saga = null!;

    static readonly RetrainingOptions Settings = new()
    {
        MinAurocGain = 0.0, LogLossTolerance = 0.01, BrierTolerance = 0.005, TrainingTimeout = TimeSpan.FromHours(2),
        Rollout = new RetrainingRolloutOptions { Steps = [10, 50, 100] },
    };

    public async Task InitializeAsync()
    {
        _provider = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddSingleton(Options.Create(Settings))
            .AddMassTransitTestHarness(bus => bus.AddSagaStateMachine<RetrainingStateMachine, RetrainingState>().InMemoryRepository())
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
        _saga = _harness.GetSagaStateMachineHarness<RetrainingStateMachine, RetrainingState>();
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
    }

    static RequestRetraining Request(string trigger = RetrainingTriggers.Degradation) => new()
    {
        RequestId = NewId.NextGuid(), ModelName = "deterioration", Trigger = trigger, Reason = "AUROC 0.71 fell below 0.80", RequestedBy = "monitoring:performance",
        Evidence = new Dictionary<string, string> { ["windowId"] = "42" }, RequestedAt = DateTimeOffset.UtcNow,
    };

    RetrainingState Saga(Guid id) => _saga.Sagas.Contains(id)!;

    bool WasSent<T>(Func<T, bool> match) where T : class => _harness.Sent.Select<T>(m => match(m.Context.Message)).Any();

    bool WasPublished<T>(Func<T, bool> match) where T : class => _harness.Published.Select<T>(m => match(m.Context.Message)).Any();

    static async Task<bool> Soon(Func<bool> condition)
    {
        await Eventually.WaitUntilAsync(condition, "the saga's message", TimeSpan.FromSeconds(20));
        return true;
    }

    async Task<Guid> AcceptAsync(RequestRetraining? request = null)
    {
        request ??= Request();
        await _harness.Bus.Publish(new RetrainingAccepted { RetrainingId = request.RequestId, Request = request });
        Assert.NotNull(await _saga.Exists(request.RequestId, m => m.Preparing));
        return request.RequestId;
    }

    async Task PrepareAsync(Guid id)
    {
        await _harness.Bus.Publish(new RetrainingPrepared
        {
            RetrainingId = id, ChampionVersion = "1.0.0", ChampionRunId = "0b7e6a4e-0000-0000-0000-000000000001", DatasetVersion = "ds-0007",
            FeatureSetVersion = "fs-v1", LabelName = "deterioration_24h", Algorithm = "gbdt", Hyperparameters = new Dictionary<string, double> { ["rounds"] = 50 },
            Features = ["heart_rate_*"], Seed = 7,
        });
        Assert.NotNull(await _saga.Exists(id, m => m.Training));
    }

    async Task TrainAsync(Guid id)
    {
        await _harness.Bus.Publish(new TrainingRunCompleted { RunId = id, ModelName = "deterioration", ModelVersion = "1.1.0", ArtifactSha256 = new string('a', 64) });
        Assert.NotNull(await _saga.Exists(id, m => m.Evaluating));
    }

    Task EvaluateAsync(Guid id, ModelFigures candidate, ModelFigures? champion, string? problem = null) =>
        _harness.Bus.Publish(new RetrainingCandidateEvaluated { RetrainingId = id, Candidate = candidate, Champion = champion, ChampionProblem = problem, Rows = 400 });

    async Task<Guid> RollOutAsync(Guid id)
    {
        await EvaluateAsync(id, new ModelFigures { Auroc = 0.84, LogLoss = 0.30, Brier = 0.09 }, new ModelFigures { Auroc = 0.80, LogLoss = 0.33, Brier = 0.10 });
        Assert.NotNull(await _saga.Exists(id, m => m.RollingOut));
        var rolloutId = NewId.NextGuid();
        await _harness.Bus.Publish(new RetrainingRolloutStarted { RetrainingId = id, RolloutId = rolloutId });
        Assert.True(await Soon(() => Saga(id).RolloutId == rolloutId));
        return rolloutId;
    }

    [Fact]
    public async Task Accepted_NewRequest_RecordsItAndAsksForTheChampionsRecipe()
    {
        var id = await AcceptAsync();

        Assert.True(await Soon(() => WasSent<PrepareRetraining>(m => m.RetrainingId == id && m.ModelName == "deterioration")));
        var saga = Saga(id);
        Assert.Equal(RetrainingStateMachine.StepPrepare, saga.Steps.Single().Step);
        Assert.Equal("degradation", saga.Steps[0].Evidence["trigger"]);
        Assert.Equal(saga.Steps[0].StartedAt + Settings.PrepareTimeout, saga.DeadlineAt);
    }

    [Fact]
    public async Task Prepared_ChampionRecipe_StartsATrainingRunComparedWithTheChampion()
    {
        var id = await AcceptAsync();
        await PrepareAsync(id);

        Assert.True(await Soon(() => WasSent<StartTrainingRun>(m => m.RunId == id)));
        var command = _harness.Sent.Select<StartTrainingRun>(m => m.Context.Message.RunId == id).Single();
        Assert.Equal(CommandQueues.AddressOf<StartTrainingRun>().AbsolutePath, command.Context.DestinationAddress!.AbsolutePath.TrimStart('/'));
        var run = command.Context.Message;
        Assert.Equal("1.0.0", run.CompareWithVersion);
        Assert.Equal(("gbdt", "deterioration_24h", "ds-0007", "fs-v1", 7), (run.Algorithm, run.LabelName, run.DatasetVersion, run.FeatureSetVersion, run.Seed));
        Assert.Equal(["heart_rate_*"], run.Features);
        Assert.Equal(50, run.Hyperparameters["rounds"]);
        Assert.Equal("done", Saga(id).Steps[0].Outcome);
        Assert.Equal("ds-0007", Saga(id).Steps[0].Evidence["datasetVersion"]);
    }

    [Fact]
    public async Task BetterCandidate_RolloutPromoted_EndsPromotedWithEveryStepsEvidence()
    {
        var id = await AcceptAsync();
        await PrepareAsync(id);
        await TrainAsync(id);
        Assert.True(await Soon(() => WasSent<EvaluateRetrainingCandidate>(m => m.RetrainingId == id && m.ChampionVersion == "1.0.0")));
        var rolloutId = await RollOutAsync(id);
        Assert.True(WasSent<StartRetrainingRollout>(m => m.RetrainingId == id && m.CandidateVersion == "1.1.0"));

        await _harness.Bus.Publish(new RolloutPromoted
        {
            RolloutId = rolloutId, ModelName = "deterioration", CandidateVersion = "1.1.0", Step = 2, Analysis = 3, PromotedBy = "rollout", Reason = "every step passed its analysis",
        });

        Assert.NotNull(await _saga.Exists(id, m => m.Promoted));
        Assert.True(await Soon(() => WasPublished<RetrainingCompleted>(m => m.RetrainingId == id && m.Outcome == RetrainingOutcomes.Promoted)));
        var done = _harness.Published.Select<RetrainingCompleted>(m => m.Context.Message.RetrainingId == id).Single().Context.Message;
        Assert.Equal(("1.0.0", "1.1.0", rolloutId), (done.ChampionVersion, done.CandidateVersion, done.RolloutId));
        Assert.True(done.Comparison!.Promote);
        var saga = Saga(id);
        Assert.Equal(["prepare", "train", "evaluate", "rollout"], saga.Steps.Select(s => s.Step));
        Assert.Equal(["done", "done", "done", "promoted"], saga.Steps.Select(s => s.Outcome));
        Assert.Equal("0.84", saga.Steps[2].Evidence["candidateAuroc"]);
        Assert.Equal("0.8", saga.Steps[2].Evidence["championAuroc"]);
        Assert.Null(saga.DeadlineAt);
    }

    [Fact]
    public async Task WorseCandidate_Evaluated_RejectedWithBothModelsFigures()
    {
        var id = await AcceptAsync();
        await PrepareAsync(id);
        await TrainAsync(id);

        await EvaluateAsync(id, new ModelFigures { Auroc = 0.78, LogLoss = 0.31, Brier = 0.095 }, new ModelFigures { Auroc = 0.80, LogLoss = 0.33, Brier = 0.10 });

        Assert.NotNull(await _saga.Exists(id, m => m.Rejected));
        Assert.True(await Soon(() => WasPublished<RetrainingCompleted>(m => m.RetrainingId == id && m.Outcome == RetrainingOutcomes.Rejected)));
        var saga = Saga(id);
        Assert.Contains("AUROC 0.78 < champion 0.8", saga.Reason);
        Assert.Equal("rejected", saga.Steps[^1].Outcome);
        Assert.Equal("0.78", saga.Steps[^1].Evidence["candidateAuroc"]);
        Assert.Equal("0.8", saga.Steps[^1].Evidence["championAuroc"]);
        Assert.False(WasSent<StartRetrainingRollout>(m => m.RetrainingId == id));
    }

    [Fact]
    public async Task ChampionCouldNotScoreTheRows_Evaluated_RejectedFailClosed()
    {
        var id = await AcceptAsync();
        await PrepareAsync(id);
        await TrainAsync(id);

        await EvaluateAsync(id, new ModelFigures { Auroc = 0.95, LogLoss = 0.2, Brier = 0.05 }, null, "champion 1.0.0 needs feature lactate_last, absent from the run's rows");

        Assert.NotNull(await _saga.Exists(id, m => m.Rejected));
        Assert.Contains("lactate_last", Saga(id).Reason);
        Assert.False(WasSent<StartRetrainingRollout>(m => m.RetrainingId == id));
    }

    [Fact]
    public async Task TrainingRunFailed_DuringTraining_FailsWithTheRunsReason()
    {
        var id = await AcceptAsync();
        await PrepareAsync(id);

        await _harness.Bus.Publish(new TrainingRunFailed { RunId = id, ModelName = "deterioration", Step = "Evaluate", Reason = "AUROC does not beat the better baseline by the margin" });

        Assert.NotNull(await _saga.Exists(id, m => m.Failed));
        Assert.True(await Soon(() => WasPublished<RetrainingCompleted>(m => m.RetrainingId == id && m.Outcome == RetrainingOutcomes.Failed)));
        Assert.Equal("training run failed at Evaluate: AUROC does not beat the better baseline by the margin", Saga(id).Reason);
        Assert.Equal("failed", Saga(id).Steps[^1].Outcome);
    }

    [Fact]
    public async Task StepFailed_NoChampion_FailsWithTheStepsReason()
    {
        var id = await AcceptAsync();

        await _harness.Bus.Publish(new RetrainingStepFailed { RetrainingId = id, Step = "prepare", Reason = "deterioration has no champion to retrain from" });

        Assert.NotNull(await _saga.Exists(id, m => m.Failed));
        Assert.Equal("prepare failed: deterioration has no champion to retrain from", Saga(id).Reason);
    }

    [Fact]
    public async Task RolloutRolledBack_DuringRollout_EndsRolledBackWithTheRolloutsReason()
    {
        var id = await AcceptAsync();
        await PrepareAsync(id);
        await TrainAsync(id);
        var rolloutId = await RollOutAsync(id);

        await _harness.Bus.Publish(new RolloutRolledBack
        {
            RolloutId = rolloutId, ModelName = "deterioration", CandidateVersion = "1.1.0", Step = 0, Analysis = 1, Reason = "1 failed analyses (limit 0): error-rate 0.2",
        });

        Assert.NotNull(await _saga.Exists(id, m => m.RolledBack));
        Assert.True(await Soon(() => WasPublished<RetrainingCompleted>(m => m.RetrainingId == id && m.Outcome == RetrainingOutcomes.RolledBack)));
        Assert.Contains("error-rate 0.2", Saga(id).Reason);
    }

    [Fact]
    public async Task RolloutEvent_OfAnotherRollout_ChangesNothing()
    {
        var id = await AcceptAsync();
        await PrepareAsync(id);
        await TrainAsync(id);
        await RollOutAsync(id);
        var other = NewId.NextGuid();

        await _harness.Bus.Publish(new RolloutPromoted { RolloutId = other, ModelName = "deterioration", CandidateVersion = "9.9.9", Step = 0, Analysis = 1, PromotedBy = "ops", Reason = "by hand" });

        Assert.True(await _harness.Consumed.Any<RolloutPromoted>(m => m.Context.Message.RolloutId == other));
        Assert.Equal(nameof(RetrainingStateMachine.RollingOut), Saga(id).CurrentState);
    }

    [Fact]
    public async Task DuplicateAccepted_WhileActive_IsIgnored()
    {
        var request = Request();
        var id = await AcceptAsync(request);
        await PrepareAsync(id);

        await _harness.Bus.Publish(new RetrainingAccepted { RetrainingId = id, Request = request });

        Assert.True(await Soon(() => _saga.Consumed.Select<RetrainingAccepted>(m => m.Context.Message.RetrainingId == id).Count() == 2));
        Assert.Equal(nameof(RetrainingStateMachine.Training), Saga(id).CurrentState);
        Assert.Single(_harness.Sent.Select<PrepareRetraining>(m => m.Context.Message.RetrainingId == id));
    }

    [Fact]
    public async Task Sweeper_TrainingDeadlinePassed_FailsTheRetrainingAsTimedOut()
    {
        var id = await AcceptAsync();
        await PrepareAsync(id);
        var sweeper = new RetrainingSweeper(_provider.GetRequiredService<IServiceScopeFactory>(), Options.Create(Settings), TimeProvider.System,
            NullLogger<RetrainingSweeper>.Instance);
        var deadline = Saga(id).DeadlineAt!.Value;

        Assert.DoesNotContain(id, await sweeper.SweepAsync(deadline.AddSeconds(-1), CancellationToken.None));
        Assert.Contains(id, await sweeper.SweepAsync(deadline, CancellationToken.None));

        Assert.NotNull(await _saga.Exists(id, m => m.Failed));
        Assert.Equal("timed-out", Saga(id).Steps[^1].Outcome);
        Assert.Contains("train did not finish within its deadline", Saga(id).Reason);
    }

    [Fact]
    public async Task TimedOut_ForAnEarlierState_ChangesNothing()
    {
        var id = await AcceptAsync();
        await PrepareAsync(id);

        await _harness.Bus.Publish(new RetrainingTimedOut { RetrainingId = id, State = nameof(RetrainingStateMachine.Preparing) });

        Assert.True(await _saga.Consumed.Any<RetrainingTimedOut>(m => m.Context.Message.RetrainingId == id));
        Assert.Equal(nameof(RetrainingStateMachine.Training), Saga(id).CurrentState);
    }

    [Fact]
    public async Task Sweeper_RolloutDeadlinePassed_AbortsTheRolloutAndFails()
    {
        var id = await AcceptAsync();
        await PrepareAsync(id);
        await TrainAsync(id);
        var rolloutId = await RollOutAsync(id);

        await _harness.Bus.Publish(new RetrainingTimedOut { RetrainingId = id, State = nameof(RetrainingStateMachine.RollingOut) });

        Assert.NotNull(await _saga.Exists(id, m => m.Failed));
        Assert.True(await Soon(() => WasPublished<AbortRollout>(m => m.RolloutId == rolloutId && m.RequestedBy == RetrainingStateMachine.Actor)));
    }
}
