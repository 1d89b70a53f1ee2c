using Mlops.Contracts.Registry;
using Mlops.Gateway.Routing;
using static Mlops.Gateway.Tests.Routes;

namespace Mlops.Gateway.Tests.Routing;

public sealed class VariantRouterTests
{
    const string Model = "deterioration";
    static readonly string[] Entities = [.. Enumerable.Range(0, 10_000).Select(i => $"patient-{i}")];

    [Fact]
    public void Decide_TwoReplicasAndARestart_AgreeOnEveryEntity()
    {
        // Replica A followed the rollout step by step; replica B (or A after a restart) read only the final state.
        var replicaA = new DeploymentTable();
        replicaA.Apply(Model, 1, Canary(5));
        replicaA.Apply(Model, 2, Canary(20));
        var replicaB = new DeploymentTable();
        replicaB.Apply(Model, 2, Canary(20));

        var a = Entities.Select(e => VariantRouter.Decide(Model, replicaA.Find(Model), e, null).Variant).ToList();
        var b = Entities.Select(e => VariantRouter.Decide(Model, replicaB.Find(Model), e, null).Variant).ToList();
        Assert.Equal(a, b);
        Assert.Equal(a, Entities.Select(e => VariantRouter.Decide(Model, replicaA.Find(Model), e, null).Variant).ToList());
        Assert.InRange(a.Count(v => v == ModelAliases.Challenger), 1_900, 2_100);
    }

    [Fact]
    public void Decide_NoEntity_GoesToChampion()
    {
        var decision = VariantRouter.Decide(Model, Table(Canary(50)), null, null);
        Assert.Equal(ModelAliases.Champion, decision.Variant);
        Assert.Equal(VariantSource.NoEntity, decision.Source);
        Assert.Null(decision.Mirror);
    }

    [Fact]
    public void Decide_ModelWithoutDeployment_NoVariant()
    {
        var decision = VariantRouter.Decide(Model, null, "patient-1", null);
        Assert.Null(decision.Variant);
        Assert.Equal(VariantSource.NoDeployment, decision.Source);
    }

    [Fact]
    public void Decide_DeploymentWithoutRoutes_NoVariant()
    {
        var decision = VariantRouter.Decide(Model, Table([]), "patient-1", null);
        Assert.Null(decision.Variant);
    }

    [Fact]
    public void Decide_HeaderOverride_WinsOverTheEntity()
    {
        var champions = Entities.Where(e => VariantRouter.Decide(Model, Table(Canary(10)), e, null).Variant == ModelAliases.Champion).Take(20);
        Assert.All(champions, e =>
        {
            var decision = VariantRouter.Decide(Model, Table(Canary(10)), e, ModelAliases.Challenger);
            Assert.Equal(ModelAliases.Challenger, decision.Variant);
            Assert.Equal(VariantSource.Header, decision.Source);
        });
    }

    [Fact]
    public void Decide_HeaderNamingNoRoute_HasNoRoute()
    {
        var decision = VariantRouter.Decide(Model, Table(Canary(10)), "patient-1", "blue");
        Assert.Null(decision.Route);
    }

    [Fact]
    public void Decide_ShadowRoute_MirrorsItsShareAndNeverServes()
    {
        var routes = Table([.. Canary(10), Route(ModelAliases.Shadow, "3", 0, mirror: 30)]);
        var decisions = Entities.Select(e => VariantRouter.Decide(Model, routes, e, null)).ToList();
        Assert.DoesNotContain(decisions, d => d.Variant == ModelAliases.Shadow);
        Assert.InRange(decisions.Count(d => d.Mirror is not null), 2_900, 3_100);
        Assert.Null(VariantRouter.Decide(Model, routes, "patient-1", ModelAliases.Shadow).Mirror);
    }

    [Fact]
    public void Decide_CandidateIsCanaryAndShadow_MirrorsOnlyTheChampionsRequests()
    {
        // A rollout analysing divergence: version 2 serves 20 % as the challenger and is mirrored every request as the shadow.
        var routes = Table([.. Canary(20), Route(ModelAliases.Shadow, "2", 0, mirror: 100)]);
        var decisions = Entities.Select(e => VariantRouter.Decide(Model, routes, e, null)).ToList();

        Assert.All(decisions.Where(d => d.Variant == ModelAliases.Champion), d => Assert.Equal("2", d.Mirror?.Version));
        Assert.All(decisions.Where(d => d.Variant == ModelAliases.Challenger), d => Assert.Null(d.Mirror));
        Assert.InRange(decisions.Count(d => d.Variant == ModelAliases.Challenger), 1_900, 2_100);
    }

    static ModelRoutes Table(TrafficRoute[] routes)
    {
        var table = new DeploymentTable();
        table.Apply(Model, 1, routes);
        return table.Find(Model)!;
    }
}
