using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.Contracts.Registry;
using Mlops.Inference.Models;
using Options = Microsoft.Extensions.Options.Options;

namespace Mlops.Inference.Tests;

/// <summary>
/// Champion, challenger and shadow of one model loaded side by side in one catalog (real ONNX sessions), and the
/// choice of variant for requests and for the stream: by name, by the shared entity assignment, by pod variant set.
/// </summary>
public sealed class VariantCatalogTests : IAsyncLifetime
{
    const string Model = "deterioration";

    readonly ServiceProvider _services = OnnxRuntime.Services();
    readonly List<ModelCatalog> _catalogs = [];

    static readonly TrafficRoute[] Routes =
    [
        Route(ModelAliases.Champion, "1", Tests.Models.V1, 80),
        Route(ModelAliases.Challenger, "2", Tests.Models.V2, 20),
        Route(ModelAliases.Shadow, "3", Tests.Models.V1, 0) with { MirrorPercent = 100 },
    ];

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        foreach (var catalog in _catalogs)
        {
            catalog.Dispose();
        }

        _services.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Catalog_ThreeVariants_AreHostedSideBySideEachWithItsVersion()
    {
        var catalog = await CatalogAsync();

        Assert.Equal([("champion", "1"), ("challenger", "2"), ("shadow", "3")], catalog.HostsOf(Model).Select(h => (h.Variant, h.Current!.Version)));
        Assert.Equal([ModelAliases.Champion, ModelAliases.Challenger, ModelAliases.Shadow], catalog.HostsOf(Model).Select(h => h.Current!.Variant));
    }

    [Theory]
    [InlineData(ModelAliases.Champion, "1")]
    [InlineData(ModelAliases.Challenger, "2")]
    [InlineData(ModelAliases.Shadow, "3")]
    public async Task Select_NamedVariant_AnswersWithThatVariantWhateverTheEntity(string variant, string version)
    {
        var catalog = await CatalogAsync();

        foreach (var entity in Entities(50))
        {
            var selection = catalog.Select(Model, variant, entity);
            Assert.Equal(VariantSelectionOutcome.Selected, selection.Outcome);
            Assert.Equal(version, selection.Host!.Current!.Version);
        }
    }

    [Fact]
    public async Task Select_Entity_IsTheVariantTheSharedAssignmentGives()
    {
        var catalog = await CatalogAsync();

        foreach (var entity in Entities(1_000))
        {
            Assert.Equal(VariantAssignment.Assign(Model, entity, Routes)!.Alias, catalog.Select(Model, null, entity).Host!.Variant);
        }

        Assert.Equal(ModelAliases.Champion, catalog.Select(Model, null, null).Host!.Variant);
    }

    [Fact]
    public async Task ForStream_TwentyPercentChallenger_SplitsTwoThousandEntitiesWithinTwoPointsAndKeepsEachOnItsVariant()
    {
        var catalog = await CatalogAsync();
        var entities = Entities(2_000);

        var first = entities.ToDictionary(e => e, e => catalog.ForStream(Model, e)!.Variant);
        var second = entities.ToDictionary(e => e, e => catalog.ForStream(Model, e)!.Variant);

        var share = first.Values.Count(v => v == ModelAliases.Challenger) / (double)entities.Count;
        Assert.InRange(share, 0.18, 0.22);
        Assert.Equal(first, second);
        Assert.DoesNotContain(ModelAliases.Shadow, first.Values);
        Assert.All(entities, e => Assert.Equal(VariantAssignment.Assign(Model, e, Routes)!.Alias, first[e]));
    }

    [Fact]
    public async Task ForStream_OnePodPerVariant_ScoresEveryEntityExactlyOnce()
    {
        var champion = await CatalogAsync([ModelAliases.Champion]);
        var challenger = await CatalogAsync([ModelAliases.Challenger]);
        var shadow = await CatalogAsync([ModelAliases.Shadow]);

        foreach (var entity in Entities(2_000))
        {
            var scorers = new[] { champion.ForStream(Model, entity), challenger.ForStream(Model, entity), shadow.ForStream(Model, entity) }.Where(h => h is not null).ToList();
            Assert.Equal(VariantAssignment.Assign(Model, entity, Routes)!.Alias, Assert.Single(scorers)!.Variant);
        }
    }

    [Fact]
    public async Task Select_OnAPodOfOtherVariants_SaysWhichVariantAndWhy()
    {
        var challengerPod = await CatalogAsync([ModelAliases.Challenger]);
        var championEntity = Entities(200).First(e => VariantAssignment.Assign(Model, e, Routes)!.Alias == ModelAliases.Champion);

        var named = challengerPod.Select(Model, ModelAliases.Champion, null);
        var assigned = challengerPod.Select(Model, null, championEntity);

        Assert.Equal((VariantSelectionOutcome.VariantNotServed, "champion"), (named.Outcome, named.Variant));
        Assert.Contains("Inference:Variants", named.Reason, StringComparison.Ordinal);
        Assert.Equal((VariantSelectionOutcome.AssignedElsewhere, "champion"), (assigned.Outcome, assigned.Variant));
        Assert.Equal(ModelAliases.Challenger, challengerPod.Select(Model, null, null).Host!.Variant);
    }

    [Fact]
    public async Task RemoveAsync_ShadowLeftTheDeployment_IsNoLongerSelectable()
    {
        var catalog = await CatalogAsync();

        await catalog.RemoveAsync(catalog.Host(Model, ModelAliases.Shadow), "left the deployment", CancellationToken.None);

        Assert.Equal(VariantSelectionOutcome.VariantNotServed, catalog.Select(Model, ModelAliases.Shadow, null).Outcome);
        Assert.Equal([ModelAliases.Champion, ModelAliases.Challenger], catalog.HostsOf(Model).Select(h => h.Variant));
    }

    [Fact]
    public void StreamingConsumerGroup_VariantsSet_IncludesTheSortedVariantSet()
    {
        var all = new InferenceOptions();
        var some = new InferenceOptions { Variants = [ModelAliases.Shadow, ModelAliases.Challenger] };

        Assert.Equal("inference-streaming", all.StreamingConsumerGroup);
        Assert.Equal("inference-streaming-challenger-shadow", some.StreamingConsumerGroup);
    }

    async Task<ModelCatalog> CatalogAsync(List<string>? variants = null)
    {
        var catalog = new ModelCatalog(_services, NullLoggerFactory.Instance, Options.Create(new InferenceOptions { Variants = variants ?? [] }));
        _catalogs.Add(catalog);
        foreach (var route in Routes.Where(r => catalog.ServesVariant(r.Alias)))
        {
            var model = route.Version == "2" ? Tests.Models.V2 : Tests.Models.V1;
            await catalog.Host(Model, route.Alias).LoadAsync(new ModelDeployment
            {
                Name = Model, Version = route.Version, Path = Tests.Models.PathOf(model), Sha256 = Tests.Models.Sha256Of(model),
                Features = [.. Tests.Models.Features], Variant = route.Alias,
            }, CancellationToken.None);
        }

        catalog.SetRoutes(Model, Routes);
        return catalog;
    }

    static List<string> Entities(int count) => [.. Enumerable.Range(0, count).Select(i => $"patient-{i:D5}")];

    static TrafficRoute Route(string alias, string version, string model, int percent) =>
        new() { Alias = alias, Version = version, ArtifactSha256 = Tests.Models.Sha256Of(model), TrafficPercent = percent };
}
