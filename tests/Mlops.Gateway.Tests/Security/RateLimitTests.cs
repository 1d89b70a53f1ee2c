using System.Net;
using Mlops.Gateway.Security;

namespace Mlops.Gateway.Tests.Security;

/// <summary>
/// The limiter with a bucket of 3 that refills once an hour, so the outcome does not depend on timing: the fourth
/// request of a key within the test is refused, whatever the machine's speed.
/// </summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    readonly SecuredGateway _gateway = new(new Dictionary<string, string?>
    {
        ["Security:RateLimit:TokenLimit"] = "3",
        ["Security:RateLimit:TokensPerPeriod"] = "3",
        ["Security:RateLimit:ReplenishmentPeriod"] = "01:00:00",
    }, roleKeysAtStart: false);

    public Task InitializeAsync() => _gateway.InitializeAsync();

    public Task DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Key_OverItsLimit_429ProblemWithRetryAfterAndOtherKeysUnaffected()
    {
        var (id, key) = await _gateway.SeedKeyAsync("busy client", Roles.Predict);
        var (_, other) = await _gateway.SeedKeyAsync("quiet client", Roles.Predict);
        using var busy = _gateway.Client(key);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync("/api/registry/models")).StatusCode);
        }

        using var refused = await busy.GetAsync("/api/registry/models");

        var problem = await RouteRoleMatrixTests.AssertProblemAsync(refused, HttpStatusCode.TooManyRequests, "Rate limit exceeded", $"API key '{id}'");
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 3600);
        Assert.Equal(retryAfter, problem["retryAfterSeconds"]!.GetValue<int>());
        using var quiet = _gateway.Client(other);
        Assert.Equal(HttpStatusCode.OK, (await quiet.GetAsync("/api/registry/models")).StatusCode);
    }
}
