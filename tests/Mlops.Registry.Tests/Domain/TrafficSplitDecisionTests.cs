using Mlops.Contracts.Registry;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Tests.Domain;

/// <summary>The traffic split as pure decisions: state from events, events from commands, no store involved.</summary>
public sealed class TrafficSplitDecisionTests
{
    const string Model = "ews";

    [Fact]
    public void Assign_NewChallenger_ServesThePolicyShare()
    {
        var state = With(Champion("1.0.0"), policyPercent: 15);

        var events = Promote(state, "2.0.0", ModelAliases.Challenger);

        Assert.Equal([("champion", "1.0.0", 85, 0), ("challenger", "2.0.0", 15, 0)], Shares(Deployment(events)));
    }

    [Fact]
    public void SetTrafficSplit_ChallengerShare_RecordsTheSplitAndMovesTheTraffic()
    {
        var state = With(Champion("1.0.0"), challenger: "2.0.0");

        var events = ModelDecisions.SetTrafficSplit(state, Split(50));

        var changed = Assert.IsType<TrafficSplitChanged>(events[0]);
        Assert.Equal((50, 0, "rollout-saga", "step 2"), (changed.ChallengerPercent, changed.ShadowPercent, changed.ChangedBy, changed.Reason));
        var deployment = events.OfType<DeploymentChanged>().Single();
        Assert.Equal([("champion", "1.0.0", 50, 0), ("challenger", "2.0.0", 50, 0)], Shares(deployment.Routes));
        Assert.Equal(state.Revision + 2, deployment.Revision);
    }

    [Fact]
    public void SetTrafficSplit_ShadowShare_AddsAMirrorOnlyRoute()
    {
        var state = With(Champion("1.0.0"), shadow: "3.0.0");

        var events = ModelDecisions.SetTrafficSplit(state, Split(0, shadowPercent: 25));

        Assert.Equal([("champion", "1.0.0", 100, 0), ("shadow", "3.0.0", 0, 25)], Shares(Deployment(events)));
    }

    [Fact]
    public void SetTrafficSplit_ChallengerAlsoShadow_ServesItsShareAndIsMirroredTheChampionsRequests()
    {
        // A rollout analysing divergence: the candidate is the canary and the shadow at once.
        var state = With(Champion("1.0.0"), challenger: "2.0.0", shadow: "2.0.0");

        var events = ModelDecisions.SetTrafficSplit(state, Split(10, shadowPercent: 50));

        Assert.Equal([("champion", "1.0.0", 90, 0), ("challenger", "2.0.0", 10, 0), ("shadow", "2.0.0", 0, 50)], Shares(Deployment(events)));
    }

    [Fact]
    public void SetTrafficSplit_StopMirroringVersion_EndsOnlyThatVersionsMirror()
    {
        var mirroringCandidate = With(Champion("1.0.0"), challenger: "2.0.0", shadow: "2.0.0");
        mirroringCandidate = Apply(mirroringCandidate, ModelDecisions.SetTrafficSplit(mirroringCandidate, Split(10, shadowPercent: 50)));
        var operatorsShadow = With(Champion("1.0.0"), challenger: "2.0.0", shadow: "3.0.0");
        operatorsShadow = Apply(operatorsShadow, ModelDecisions.SetTrafficSplit(operatorsShadow, Split(10, shadowPercent: 100)));

        var ended = ModelDecisions.SetTrafficSplit(mirroringCandidate, Split(0) with { KeepShadow = true, StopMirroringVersion = "2.0.0" });
        var kept = ModelDecisions.SetTrafficSplit(operatorsShadow, Split(0) with { KeepShadow = true, StopMirroringVersion = "2.0.0" });

        Assert.Equal(0, Assert.IsType<TrafficSplitChanged>(ended[0]).ShadowPercent);
        Assert.Equal([("champion", "1.0.0", 100, 0)], Shares(Deployment(ended)));
        Assert.Equal(100, Assert.IsType<TrafficSplitChanged>(kept[0]).ShadowPercent);
        Assert.Equal([("champion", "1.0.0", 100, 0), ("shadow", "3.0.0", 0, 100)], Shares(Deployment(kept)));
    }

    [Fact]
    public void Routes_ShadowMirroredNothing_IsDropped()
    {
        var state = With(Champion("1.0.0"), shadow: "3.0.0");

        Assert.Equal([("champion", "1.0.0", 100, 0)], Shares(ModelDecisions.Routes(state, state.Aliases)));
    }

    [Fact]
    public void Routes_RecordedSplit_IsKeptForTheSameChallengerAndResetForANewOne()
    {
        var state = With(Champion("1.0.0"), challenger: "2.0.0", policyPercent: 10);
        state = Apply(state, ModelDecisions.SetTrafficSplit(state, Split(40)));
        Assert.Equal([("champion", "1.0.0", 60, 0), ("challenger", "2.0.0", 40, 0)], Shares(state.Deployment));

        var events = Promote(state, "2.1.0", ModelAliases.Challenger);

        Assert.Equal([("champion", "1.0.0", 90, 0), ("challenger", "2.1.0", 10, 0)], Shares(Deployment(events)));
        Assert.Null(Apply(state, events).ChallengerPercent);
    }

    [Fact]
    public void SetTrafficSplit_FullShareToTheChallenger_LeavesOnlyTheChallengerServing()
    {
        var state = With(Champion("1.0.0"), challenger: "2.0.0");

        var events = ModelDecisions.SetTrafficSplit(state, Split(100));

        Assert.Equal([("challenger", "2.0.0", 100, 0)], Shares(Deployment(events)));
    }

    [Fact]
    public void SetTrafficSplit_WithoutChallenger_IsRecordedButChangesNoRoute()
    {
        var state = With(Champion("1.0.0"));

        var events = ModelDecisions.SetTrafficSplit(state, Split(30));

        Assert.IsType<TrafficSplitChanged>(Assert.Single(events));
    }

    [Fact]
    public void SetTrafficSplit_OutOfRangeAndMissingFields_AreRefusedNamingEach()
    {
        var state = With(Champion("1.0.0"), challenger: "2.0.0");

        var ex = Assert.Throws<RegistryValidationException>(() => ModelDecisions.SetTrafficSplit(state,
            new SetTrafficSplit { ModelName = Model, ChallengerPercent = 101, ShadowPercent = -1, RequestedBy = " ", Reason = "" }));

        Assert.Equal(["ChallengerPercent", "Reason", "RequestedBy", "ShadowPercent"], ex.Errors.Keys.Order());
    }

    [Fact]
    public void Assign_ShadowPromotedToChallenger_LeavesTheShadowAlias()
    {
        var state = With(Champion("1.0.0"), shadow: "3.0.0");
        state = Apply(state, ModelDecisions.SetTrafficSplit(state, Split(0, shadowPercent: 100)));

        var events = Promote(state, "3.0.0", ModelAliases.Challenger);
        var after = Apply(state, events);

        Assert.Null(after.VersionOf(ModelAliases.Shadow));
        Assert.Equal([("champion", "1.0.0", 90, 0), ("challenger", "3.0.0", 10, 0)], Shares(after.Deployment));
    }

    [Fact]
    public void SetPolicy_NewChallengerShare_MovesAChallengerAtThePolicyShare()
    {
        var state = With(Champion("1.0.0"), challenger: "2.0.0", policyPercent: 10);

        var events = ModelDecisions.SetPolicy(state, new PromotionPolicy { ChallengerTrafficPercent = 20 }, "governance-bob", "more canary");

        Assert.Equal([("champion", "1.0.0", 80, 0), ("challenger", "2.0.0", 20, 0)], Shares(Deployment(events)));
    }

    [Fact]
    public void SetTrafficSplit_KeepShadow_MovesTheChallengerAndLeavesTheMirror()
    {
        var state = Apply(With(Champion("1.0.0"), challenger: "2.0.0", shadow: "3.0.0"), ModelDecisions.SetTrafficSplit(
            With(Champion("1.0.0"), challenger: "2.0.0", shadow: "3.0.0"), Split(10, shadowPercent: 100)));

        var events = ModelDecisions.SetTrafficSplit(state, Split(0) with { KeepShadow = true, ShadowPercent = 0 });

        Assert.Equal(100, Assert.IsType<TrafficSplitChanged>(events[0]).ShadowPercent);
        Assert.Equal([("champion", "1.0.0", 100, 0), ("shadow", "3.0.0", 0, 100)], Shares(Deployment(events)).Where(r => r.Item3 > 0 || r.Item4 > 0).ToArray());
    }

    static SetTrafficSplit Split(int challengerPercent, int shadowPercent = 0) => new()
    {
        ModelName = Model, ChallengerPercent = challengerPercent, ShadowPercent = shadowPercent, RequestedBy = "rollout-saga", Reason = "step 2",
    };

    static (string, string, int, int)[] Shares(IEnumerable<TrafficRoute> routes) => [.. routes.Select(r => (r.Alias, r.Version, r.TrafficPercent, r.MirrorPercent))];

    static IReadOnlyList<TrafficRoute> Deployment(IReadOnlyList<object> events) => events.OfType<DeploymentChanged>().Single().Routes;

    static IReadOnlyList<object> Promote(ModelState state, string version, string alias) =>
        ModelDecisions.RequestPromotion(state, new RequestPromotion { ModelName = Model, Version = version, Alias = alias, RequestedBy = "ops", Reason = "test" }, Guid.NewGuid());

    static string Champion(string version) => version;

    /// <summary>Versions 1.0.0, 2.0.0, 2.1.0 and 3.0.0 registered; the given ones promoted to their aliases.</summary>
    static ModelState With(string champion, string? challenger = null, string? shadow = null, int policyPercent = 10)
    {
        var state = new ModelState { Name = Model };
        foreach (var version in new[] { "1.0.0", "2.0.0", "2.1.0", "3.0.0" })
        {
            state = Apply(state, ModelDecisions.Register(state.Versions.Count == 0 ? null : state, Registration(version), artifactStored: true));
        }

        state = Apply(state, ModelDecisions.SetPolicy(state, new PromotionPolicy { ChallengerTrafficPercent = policyPercent }, "governance", "test"));
        state = Apply(state, Promote(state, champion, ModelAliases.Champion));
        if (challenger is not null)
        {
            state = Apply(state, Promote(state, challenger, ModelAliases.Challenger));
        }

        if (shadow is not null)
        {
            state = Apply(state, Promote(state, shadow, ModelAliases.Shadow));
        }

        return state;
    }

    static ModelState Apply(ModelState state, IReadOnlyList<object> events)
    {
        foreach (var e in events)
        {
            state.When(new RecordedEvent
            {
                EventId = Guid.NewGuid(), StreamId = Model, Version = state.Revision + 1, Position = state.Revision + 1, EventType = e.GetType().Name,
                Data = e, Metadata = new EventMetadata(), RecordedAt = DateTimeOffset.UnixEpoch.AddMinutes(state.Revision),
            });
        }

        return state;
    }

    static RegisterModelVersion Registration(string version) =>
        Models.Registration(Model, version, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(version))), Models.Metrics(0.8));
}
