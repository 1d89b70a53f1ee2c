using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mlops.Features.Api;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;

namespace Mlops.Features.Tests.Api;

/// <summary>The paged online-store read inference pods warm their cache from.</summary>
[Collection(FeaturesCollection.Name)]
public sealed class OnlineSnapshotApiTests(FeaturesServiceFixture service)
{
    [Fact]
    public async Task OnlinePages_SmallLimit_EveryStoredVectorOnceInEntityOrder()
    {
        var run = "snap" + Guid.NewGuid().ToString("N")[..8];
        var version = service.Services.GetRequiredService<IOptions<FeatureDefinitions>>().Value.Version;
        var stored = Enumerable.Range(0, 5).Select(i => new StoredVector(
            $"{run}-{i}", version, DateTimeOffset.UtcNow.AddMinutes(-i), DateTimeOffset.UtcNow, new Dictionary<string, double?> { ["heart_rate_last_24h"] = 80 + i, ["lactate_last_24h"] = null }, null)).ToList();
        await using (var connection = await service.Services.GetRequiredService<FeatureDatabase>().OpenConnectionAsync(CancellationToken.None))
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await FeatureStore.SaveVectorsAsync(connection, transaction, stored, "test", CancellationToken.None);
            await transaction.CommitAsync();
        }

        var http = service.CreateClient();
        var seen = new List<StoredVector>();
        string? after = run + "-";
        while (after is not null)
        {
            var page = await http.GetFromJsonAsync<OnlineSnapshotApi.OnlinePage>($"/api/features/online?limit=2&after={after}", FeatureStore.Json);
            var ours = page!.Items.Where(v => v.EntityId.StartsWith(run, StringComparison.Ordinal)).ToList();
            seen.AddRange(ours);
            Assert.True(page.Items.Count <= 2);
            after = ours.Count == page.Items.Count ? page.Next : null;
        }

        Assert.Equal(stored.Select(v => v.EntityId), seen.Select(v => v.EntityId));
        Assert.Equal(84, seen[^1].Values["heart_rate_last_24h"]);
        Assert.Null(seen[0].Values["lactate_last_24h"]);
    }

    [Fact]
    public async Task OnlinePages_LimitOutOfRange_400NamingLimit()
    {
        using var response = await service.CreateClient().GetAsync("/api/features/online?limit=0");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("limit", await response.Content.ReadAsStringAsync());
    }
}
