using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Registry.Rollouts;
using Mlops.Testing;

namespace Mlops.Registry.Tests.Rollouts;

/// <summary>The rollout saga's transitions on MassTransit's in-memory test harness (no broker, no database, no clock).</summary>
public sealed class RolloutStateMachineTests : IAsyncLifetime
{
    ServiceProvider _provider = null!;
    ITestHarness _harness = null!;
    ISagaStateMachineTestHarness<RolloutStateMachine, RolloutState> _saga = null!;

    public async Task InitializeAsync()
    {
        _provider = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddMassTransitTestHarness(bus => bus.AddSagaStateMachine<RolloutStateMachine, RolloutState>().InMemoryRepository())
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
        _saga = _harness.GetSagaStateMachineHarness<RolloutStateMachine, RolloutState>();
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
    }

    static StartRollout Plan(int failureLimit = 0, int consecutive = 1, params int[] steps) => new()
    {
        RolloutId = NewId.NextGuid(), ModelName = "deterioration", CandidateVersion = "1.1.0", Steps = steps.Length > 0 ? steps : [10, 50, 100],
        AnalysisInterval = TimeSpan.FromMinutes(5), Thresholds = new RolloutThresholds { MaxErrorRate = 0.01, MaxP99LatencyMs = 250 },
        FailureLimit = failureLimit, ConsecutiveSuccesses = consecutive, RequestedBy = "ops-alice",
    };

    static RolloutMeasurement Measurement(string verdict) => verdict switch
    {
        RolloutVerdicts.Passed => new() { Metric = "error-rate", Value = 0.001, Threshold = 0.01, Verdict = verdict, Evidence = "1 error in 1000 predictions" },
        RolloutVerdicts.Failed => new() { Metric = "error-rate", Value = 0.2, Threshold = 0.01, Verdict = verdict, Evidence = "200 errors in 1000 predictions" },
        _ => new() { Metric = "p99-latency-ms", Value = null, Threshold = 250, Verdict = verdict, Evidence = "inference /metrics could not be read" },
    };

    async Task<StartRollout> StartAsync(StartRollout plan)
    {
        await _harness.Bus.Publish(plan);
        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Progressing));
        return plan;
    }

    RolloutState Saga(Guid id) => _saga.Sagas.Contains(id)!;

    /// <summary>Signals the current analysis due, answers it with <paramref name="verdict"/>, and waits until the saga consumed it.</summary>
    async Task AnalyseAsync(StartRollout plan, string verdict)
    {
        var saga = Saga(plan.RolloutId);
        var step = saga.StepIndex;
        var analysis = saga.AnalysisCount + 1;
        await _harness.Bus.Publish(new RolloutAnalysisDue { RolloutId = plan.RolloutId, Step = step, Analysis = analysis });
        Assert.True(await Soon(() => WasSent<AnalyseRolloutStep>(m => m.RolloutId == plan.RolloutId && m.Analysis == analysis)));
        await _harness.Bus.Publish(new RolloutStepAnalysed
        {
            RolloutId = plan.RolloutId, ModelName = plan.ModelName, CandidateVersion = plan.CandidateVersion, Step = step, Analysis = analysis,
            TrafficPercent = plan.Steps[step], Verdict = verdict, Measurements = [Measurement(verdict)], MeasuredAt = DateTimeOffset.UtcNow,
            Snapshot = new Dictionary<string, double> { ["inference.successes"] = analysis * 1000 },
        });
        Assert.True(await _saga.Consumed.Any<RolloutStepAnalysed>(m => m.Context.Message.RolloutId == plan.RolloutId && m.Context.Message.Analysis == analysis));
    }

    bool WasSent<T>(Func<T, bool> match) where T : class => _harness.Sent.Select<T>(m => match(m.Context.Message)).Any();

    bool WasPublished<T>(Func<T, bool> match) where T : class => _harness.Published.Select<T>(m => match(m.Context.Message)).Any();

    /// <summary>Waits for a message the saga sends after persisting its state (the harness delivers it shortly after).</summary>
    static async Task<bool> Soon(Func<bool> condition)
    {
        await Eventually.WaitUntilAsync(condition, "the saga's message", TimeSpan.FromSeconds(20));
        return true;
    }

    Task<bool> SplitSent(Guid id, int percent) =>
        Soon(() => WasSent<SetTrafficSplit>(m => m.CorrelationId == id && m.ChallengerPercent == percent));

    bool SplitWasSent(Guid id, int percent) => WasSent<SetTrafficSplit>(m => m.CorrelationId == id && m.ChallengerPercent == percent);

    [Fact]
    public async Task Start_FirstStep_SendsItsTrafficSplitAndWaitsOneInterval()
    {
        var plan = await StartAsync(Plan());

        Assert.True(await SplitSent(plan.RolloutId, 10));
        Assert.True(await Soon(() => WasPublished<RolloutStepStarted>(m => m.RolloutId == plan.RolloutId && m.TrafficPercent == 10)));
        var saga = Saga(plan.RolloutId);
        Assert.Equal(saga.Steps[0].StartedAt + plan.AnalysisInterval, saga.AnalysisDueAt);
        Assert.False(WasSent<AnalyseRolloutStep>(m => m.RolloutId == plan.RolloutId));
    }

    [Fact]
    public async Task PassedAnalyses_EveryStep_AdvancesThroughEachSplitThenPromotes()
    {
        var plan = await StartAsync(Plan());

        await AnalyseAsync(plan, RolloutVerdicts.Passed);
        Assert.True(await SplitSent(plan.RolloutId, 50));
        await AnalyseAsync(plan, RolloutVerdicts.Passed);
        Assert.True(await SplitSent(plan.RolloutId, 100));
        await AnalyseAsync(plan, RolloutVerdicts.Passed);

        Assert.True(await Soon(() => WasSent<PromoteRolloutCandidate>(m => m.RolloutId == plan.RolloutId && m.Version == "1.1.0")));
        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Promoting));
        await _harness.Bus.Publish(new RolloutPromotionDecided { RolloutId = plan.RolloutId, ModelName = plan.ModelName, Version = "1.1.0", Status = "Promoted" });

        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Promoted));
        Assert.True(await Soon(() => WasPublished<RolloutPromoted>(m => m.RolloutId == plan.RolloutId)));
        var saga = Saga(plan.RolloutId);
        Assert.Equal([10, 50, 100], saga.Steps.Select(s => s.TrafficPercent));
        Assert.All(saga.Steps, s => Assert.Equal("passed", s.Outcome));
        Assert.All(saga.Steps, s => Assert.Single(s.Analyses));
    }

    [Fact]
    public async Task PassedAnalysis_ConsecutiveSuccessesNotYetReached_WaitsAnotherInterval()
    {
        var plan = await StartAsync(Plan(consecutive: 2));

        await AnalyseAsync(plan, RolloutVerdicts.Passed);

        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Progressing));
        var saga = Saga(plan.RolloutId);
        Assert.Equal(0, saga.StepIndex);
        Assert.Equal(1, saga.ConsecutiveSuccesses);
        Assert.NotNull(saga.AnalysisDueAt);
        Assert.Equal(1000, saga.Baseline["inference.successes"]);

        await AnalyseAsync(plan, RolloutVerdicts.Passed);
        Assert.True(await SplitSent(plan.RolloutId, 50));
    }

    [Fact]
    public async Task InconclusiveAnalysis_PausesAndApproveMovesToTheNextStep()
    {
        var plan = await StartAsync(Plan());

        await AnalyseAsync(plan, RolloutVerdicts.Inconclusive);

        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Paused));
        Assert.True(await Soon(() => WasPublished<RolloutPaused>(m => m.RolloutId == plan.RolloutId)));
        Assert.Contains("p99-latency-ms missing", Saga(plan.RolloutId).Reason);
        Assert.False(SplitWasSent(plan.RolloutId, 50));

        await _harness.Bus.Publish(new ApproveRollout { RolloutId = plan.RolloutId, ApprovedBy = "ops-bob", Reason = "metrics outage, dashboards look fine" });

        Assert.True(await SplitSent(plan.RolloutId, 50));
        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Progressing));
        var saga = Saga(plan.RolloutId);
        Assert.Equal(1, saga.StepIndex);
        Assert.Equal("approved", saga.Steps[0].Outcome);
        Assert.Equal("ops-bob", Assert.Single(saga.Actions).By);
    }

    [Fact]
    public async Task Approve_PausedOnTheNextToLastStep_AdvancesWithoutPromoting()
    {
        var plan = await StartAsync(Plan(steps: [50, 100]));
        await AnalyseAsync(plan, RolloutVerdicts.Inconclusive);
        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Paused));

        await _harness.Bus.Publish(new ApproveRollout { RolloutId = plan.RolloutId, ApprovedBy = "ops-bob", Reason = "looked at it" });

        Assert.True(await SplitSent(plan.RolloutId, 100));
        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Progressing));
        Assert.False(WasSent<PromoteRolloutCandidate>(m => m.RolloutId == plan.RolloutId));
    }

    [Fact]
    public async Task FailedAnalysis_NoFailuresTolerated_RollsBackToZeroTrafficWithEvidence()
    {
        var plan = await StartAsync(Plan());

        await AnalyseAsync(plan, RolloutVerdicts.Failed);

        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.RolledBack));
        Assert.True(await SplitSent(plan.RolloutId, 0));
        Assert.True(await _harness.Published.Any<RolloutRolledBack>(m => m.Context.Message.RolloutId == plan.RolloutId
            && m.Context.Message.Evidence.Any(e => e.Metric == "error-rate" && e.Verdict == RolloutVerdicts.Failed)));
        Assert.Contains("error-rate 0.2 (limit 0.01)", Saga(plan.RolloutId).Reason);
        Assert.False(WasSent<PromoteRolloutCandidate>(m => m.RolloutId == plan.RolloutId));
    }

    [Fact]
    public async Task FailedAnalysis_WithinFailureLimit_KeepsStepUntilLimitExceeded()
    {
        var plan = await StartAsync(Plan(failureLimit: 1));

        await AnalyseAsync(plan, RolloutVerdicts.Failed);
        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Progressing));
        Assert.Equal(1, Saga(plan.RolloutId).Failures);

        await AnalyseAsync(plan, RolloutVerdicts.Failed);
        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.RolledBack));
        Assert.True(await SplitSent(plan.RolloutId, 0));
    }

    [Fact]
    public async Task Abort_WhileProgressing_TakesTrafficAwayAndIgnoresLaterAnalyses()
    {
        var plan = await StartAsync(Plan());

        await _harness.Bus.Publish(new AbortRollout { RolloutId = plan.RolloutId, RequestedBy = "ops-carol", Reason = "wrong candidate" });

        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Aborted));
        Assert.True(await SplitSent(plan.RolloutId, 0));
        Assert.True(await Soon(() => WasPublished<RolloutAborted>(m => m.RolloutId == plan.RolloutId && m.AbortedBy == "ops-carol")));
        await _harness.Bus.Publish(new RolloutAnalysisDue { RolloutId = plan.RolloutId, Step = 0, Analysis = 1 });
        Assert.True(await _saga.Consumed.Any<RolloutAnalysisDue>(m => m.Context.Message.RolloutId == plan.RolloutId));
        Assert.False(WasSent<AnalyseRolloutStep>(m => m.RolloutId == plan.RolloutId));
    }

    [Fact]
    public async Task Splits_RolloutAnalysingDivergence_KeepTheShadowDuringStepsAndTurnItOffAtTheEnd()
    {
        var plain = await StartAsync(Plan());
        var divergence = Plan();
        divergence = await StartAsync(divergence with { Thresholds = divergence.Thresholds with { MaxDivergence = 0.1 } });

        Assert.True(await SplitSent(divergence.RolloutId, 10));
        Assert.True(WasSent<SetTrafficSplit>(m => m.CorrelationId == divergence.RolloutId && m.ChallengerPercent == 10 && m.KeepShadow && m.StopMirroringVersion is null));
        foreach (var plan in new[] { plain, divergence })
        {
            await _harness.Bus.Publish(new AbortRollout { RolloutId = plan.RolloutId, RequestedBy = "ops-carol", Reason = "wrong candidate" });
            Assert.True(await SplitSent(plan.RolloutId, 0));
        }

        // The candidate was mirrored for the divergence analysis (RolloutsApi): the last split ends that mirror (only
        // while the shadow is still the candidate). An operator's shadow outlives a rollout that did not set it.
        Assert.True(WasSent<SetTrafficSplit>(m => m.CorrelationId == divergence.RolloutId && m.ChallengerPercent == 0 && m.StopMirroringVersion == divergence.CandidateVersion));
        Assert.True(WasSent<SetTrafficSplit>(m => m.CorrelationId == plain.RolloutId && m.ChallengerPercent == 0 && m.KeepShadow && m.StopMirroringVersion is null));
    }

    [Fact]
    public async Task PromoteNow_WhilePaused_PromotesWithoutTheRemainingSteps()
    {
        var plan = await StartAsync(Plan());
        await AnalyseAsync(plan, RolloutVerdicts.Inconclusive);

        await _harness.Bus.Publish(new PromoteRollout { RolloutId = plan.RolloutId, RequestedBy = "ops-dave", Reason = "urgent fix" });

        Assert.True(await Soon(() => WasSent<PromoteRolloutCandidate>(m => m.RolloutId == plan.RolloutId && m.RequestedBy == "ops-dave")));
        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Promoting));
        Assert.False(SplitWasSent(plan.RolloutId, 50));
    }

    [Fact]
    public async Task PromotionRefused_ByThePolicy_RollsBack()
    {
        var plan = await StartAsync(Plan(steps: [100]));
        await AnalyseAsync(plan, RolloutVerdicts.Passed);
        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Promoting));

        await _harness.Bus.Publish(new RolloutPromotionDecided
        {
            RolloutId = plan.RolloutId, ModelName = plan.ModelName, Version = "1.1.0", Status = "Rejected", Reasons = ["auroc 0.71 below 0.75"],
        });

        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.RolledBack));
        Assert.True(await SplitSent(plan.RolloutId, 0));
        Assert.Contains("auroc 0.71", Saga(plan.RolloutId).Reason);
    }

    [Fact]
    public async Task AnalysisDue_Repeated_StartsOneAnalysis()
    {
        var plan = await StartAsync(Plan());

        await _harness.Bus.Publish(new RolloutAnalysisDue { RolloutId = plan.RolloutId, Step = 0, Analysis = 1 });
        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Analysing));
        await _harness.Bus.Publish(new RolloutAnalysisDue { RolloutId = plan.RolloutId, Step = 0, Analysis = 1 });
        var consumed = 0;
        await foreach (var _ in _saga.Consumed.SelectAsync<RolloutAnalysisDue>(m => m.Context.Message.RolloutId == plan.RolloutId))
        {
            if (++consumed == 2)
            {
                break;
            }
        }

        Assert.Equal(2, consumed);
        Assert.Single(_harness.Sent.Select<AnalyseRolloutStep>(m => m.Context.Message.RolloutId == plan.RolloutId));
        Assert.Equal(1, Saga(plan.RolloutId).AnalysisCount);
    }

    [Fact]
    public async Task Sweeper_PersistedDueTimePassed_PublishesTheAnalysisDue()
    {
        var plan = await StartAsync(Plan());
        var sweeper = new RolloutAnalysisSweeper(_provider.GetRequiredService<IServiceScopeFactory>(), Options.Create(new RolloutOptions()), TimeProvider.System,
            NullLogger<RolloutAnalysisSweeper>.Instance);
        var dueAt = Saga(plan.RolloutId).AnalysisDueAt!.Value;

        Assert.DoesNotContain(plan.RolloutId, await sweeper.SweepAsync(dueAt.AddSeconds(-1), CancellationToken.None));
        Assert.Contains(plan.RolloutId, await sweeper.SweepAsync(dueAt, CancellationToken.None));

        Assert.NotNull(await _saga.Exists(plan.RolloutId, m => m.Analysing));
        Assert.True(await Soon(() => WasSent<AnalyseRolloutStep>(m => m.RolloutId == plan.RolloutId && m.Analysis == 1)));
    }
}
