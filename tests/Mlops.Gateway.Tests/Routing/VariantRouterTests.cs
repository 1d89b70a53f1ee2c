using System.Text;
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

    static ModelRoutes Table(TrafficRoute[] routes)
    {
        var table = new DeploymentTable();
        table.Apply(Model, 1, routes);
        return table.Find(Model)!;
    }
}

public sealed class DeploymentTableTests
{
    [Fact]
    public void Apply_RevisionNotNewer_IsIgnored()
    {
        var table = new DeploymentTable();
        Assert.True(table.Apply("m", 5, Canary(10)));
        Assert.False(table.Apply("m", 5, Canary(50)));
        Assert.False(table.Apply("m", 4, Canary(50)));
        Assert.Equal(10, table.Find("m")!.Find(ModelAliases.Challenger)!.TrafficPercent);
        Assert.True(table.Apply("m", 6, Canary(50)));
        Assert.Equal(50, table.Find("m")!.Find(ModelAliases.Challenger)!.TrafficPercent);
    }

    [Fact]
    public void NeedsEntity_OnlyForASplitOrAMirror()
    {
        var table = new DeploymentTable();
        table.Apply("single", 1, [Route(ModelAliases.Champion, "1", 100)]);
        table.Apply("split", 1, Canary(10));
        table.Apply("mirrored", 1, [Route(ModelAliases.Champion, "1", 100), Route(ModelAliases.Shadow, "2", 0, mirror: 5)]);
        Assert.False(table.Find("single")!.NeedsEntity);
        Assert.True(table.Find("split")!.NeedsEntity);
        Assert.True(table.Find("mirrored")!.NeedsEntity);
    }
}

public sealed class InferenceRequestTests
{
    [Theory]
    [InlineData("/api/inference/predict", "deterioration", null, InferenceProtocol.Native)]
    [InlineData("/api/inference/predict/batch", "deterioration", null, InferenceProtocol.Native)]
    [InlineData("/api/inference/entities/p-7/predict", "deterioration", "p-7", InferenceProtocol.Native)]
    [InlineData("/api/inference/models/sepsis/predict", "sepsis", null, InferenceProtocol.Native)]
    [InlineData("/api/inference/models/sepsis/entities/p-7/predict", "sepsis", "p-7", InferenceProtocol.Native)]
    [InlineData("/v2/models/sepsis/infer", "sepsis", null, InferenceProtocol.OpenInference)]
    [InlineData("/v2/models/sepsis/versions/3/infer", "sepsis", null, InferenceProtocol.OpenInference)]
    public void TryParse_PredictionPaths_NameModelAndEntity(string path, string model, string? entity, InferenceProtocol protocol)
    {
        Assert.Equal(new InferenceRequest(model, entity, protocol), InferenceRequest.TryParse("POST", path, "deterioration"));
    }

    [Theory]
    [InlineData("POST", "/api/inference/model")]
    [InlineData("GET", "/api/inference/models/sepsis")]
    [InlineData("GET", "/api/inference/predict")]
    [InlineData("POST", "/api/registry/models/sepsis/predict")]
    [InlineData("GET", "/v2/models/sepsis")]
    [InlineData("POST", "/v2/models/sepsis/ready")]
    public void TryParse_OtherRequests_AreNotPredictions(string method, string path) =>
        Assert.Null(InferenceRequest.TryParse(method, path, "deterioration"));
}

public sealed class EntityIdReaderTests
{
    [Theory]
    [InlineData("""{"entityId":"p-1","features":{}}""", InferenceProtocol.Native, "p-1")]
    [InlineData("""{"EntityId":"p-1"}""", InferenceProtocol.Native, "p-1")]
    [InlineData("""{"entityId":42}""", InferenceProtocol.Native, "42")]
    [InlineData("""{"features":{}}""", InferenceProtocol.Native, null)]
    [InlineData("""{"entityId":""}""", InferenceProtocol.Native, null)]
    [InlineData("""{"parameters":{"entity_id":"p-2"},"inputs":[]}""", InferenceProtocol.OpenInference, "p-2")]
    [InlineData("""{"entityId":"p-1"}""", InferenceProtocol.OpenInference, null)]
    [InlineData("""not json""", InferenceProtocol.Native, null)]
    [InlineData("""[1,2]""", InferenceProtocol.Native, null)]
    public void Read_FindsTheEntityOfEachProtocol(string body, InferenceProtocol protocol, string? expected) =>
        Assert.Equal(expected, EntityIdReader.Read(Encoding.UTF8.GetBytes(body), protocol));
}
