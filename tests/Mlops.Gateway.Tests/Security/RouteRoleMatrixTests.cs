using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Gateway.Security;
using Mlops.Testing;

namespace Mlops.Gateway.Tests.Security;

/// <summary>Every route × every role through the shipped routes and policies, forwarded to a test upstream.</summary>
public sealed class RouteRoleMatrixTests(SecuredGateway gateway) : IClassFixture<SecuredGateway>
{
    [Theory]
    [MemberData(nameof(RouteRoleMatrix.All), MemberType = typeof(RouteRoleMatrix))]
    public async Task Route_NoKey_401ProblemNamingTheHeader(string method, string path)
    {
        using var client = gateway.Client();

        using var response = await client.SendAsync(Request(method, path));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "API key required", "X-Api-Key");
        Assert.Contains("X-Api-Key", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RouteRoleMatrix.All), MemberType = typeof(RouteRoleMatrix))]
    public async Task Route_EachRole_AllowedOnesPassOthers403(string method, string path)
    {
        var row = RouteRoleMatrix.Find(method, path);
        foreach (var role in Roles.All)
        {
            using var client = gateway.Client(gateway.KeyForRole(role));

            using var response = await client.SendAsync(Request(method, path));

            if (role == Roles.Admin || row.Allowed.Contains(role))
            {
                Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
                    $"{row} with a {role} key: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                // The gateway's own endpoints answer themselves; the rest are forwarded.
                if (!row.Route.StartsWith("(gateway)", StringComparison.Ordinal))
                {
                    // Forwarded as asked, and the key stayed at the gateway.
                    var echo = await response.Content.ReadFromJsonAsync<JsonElement>();
                    Assert.Equal(path, echo.GetProperty("path").GetString());
                    Assert.False(echo.GetProperty("apiKeyForwarded").GetBoolean(), "the API key reached the service behind the gateway");
                }
            }
            else
            {
                var problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden, "Role required", $"roles: {role}");
                var required = problem["requiredRoles"]!.AsArray().Select(r => r!.GetValue<string>()).ToHashSet();
                Assert.True(required.SetEquals(row.Allowed.Append(Roles.Admin)), $"{row}: 403 names roles {string.Join(",", required)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AnonymousPaths))]
    public async Task AnonymousPath_NoKey_Answers(string path)
    {
        using var client = gateway.Client();

        using var response = await client.GetAsync(path);

        Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{path}: {(int)response.StatusCode}");
    }

    [Fact]
    public void Matrix_CoversEveryShippedRouteWithItsPolicy()
    {
        var shipped = JsonNode.Parse(File.ReadAllText(Path.Combine(PlatformInfrastructure.RepositoryRoot, "gateway", "Mlops.Gateway", "appsettings.json")))!
            ["ReverseProxy"]!["Routes"]!.AsObject();
        foreach (var (id, route) in shipped)
        {
            var policy = route!["AuthorizationPolicy"]?.GetValue<string>();
            Assert.False(string.IsNullOrEmpty(policy), $"route {id} has no AuthorizationPolicy");
            if (policy == RoutePolicyFilter.Anonymous)
            {
                Assert.Contains(route["Match"]!["Path"]!.GetValue<string>(), RouteRoleMatrix.Anonymous);
                continue;
            }

            var rows = RouteRoleMatrix.Rows.Where(r => r.Route == id).ToList();
            Assert.True(rows.Count > 0, $"route {id} has no row in the matrix");
            var allowed = policy == Roles.AnyKeyPolicy ? Roles.All : Roles.Policies[policy!];
            foreach (var row in rows)
            {
                Assert.True(allowed.Where(r => r != Roles.Admin).ToHashSet().SetEquals(row.Allowed),
                    $"{row}: route {id} has policy {policy}, the matrix allows {string.Join(",", row.Allowed)}");
            }
        }
    }

    [Fact]
    public async Task Route_UnknownKey_401NamingTheReason()
    {
        using var client = gateway.Client(ApiKeySecret.Generate().Key);

        using var response = await client.GetAsync("/api/registry/models");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "API key refused", "unknown id or wrong secret");
    }

    [Fact]
    public async Task Route_WrongSecretForKnownId_401()
    {
        var (id, _) = await gateway.CreateKeyAsync("guessed", Roles.Predict);
        using var client = gateway.Client($"{ApiKeySecret.Prefix}{id}_{new string('x', 43)}");

        using var response = await client.GetAsync("/api/registry/models");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "API key refused", "unknown id or wrong secret");
    }

    [Fact]
    public async Task Route_MalformedKey_401NamingTheFormat()
    {
        using var client = gateway.Client("hunter2");

        using var response = await client.GetAsync("/api/registry/models");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "API key refused", "mlk_<id>_<secret>");
    }

    [Fact]
    public async Task Route_ClientAcceptsOnlyHtml_StillProblemJson()
    {
        using var client = gateway.Client();
        using var request = Request("GET", "/api/registry/models");
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "API key required", "X-Api-Key");
    }

    public static TheoryData<string> AnonymousPaths() => new(RouteRoleMatrix.Anonymous);

    internal static HttpRequestMessage Request(string method, string path) => new(new HttpMethod(method), path)
    {
        Content = method is "GET" or "HEAD" or "DELETE" ? null : JsonContent.Create(new { }),
    };

    internal static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string title, string detailContains)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.Equal(title, problem["title"]?.GetValue<string>());
        Assert.Equal((int)status, problem["status"]?.GetValue<int>());
        Assert.Contains(detailContains, problem["detail"]?.GetValue<string>() ?? "", StringComparison.Ordinal);
        return problem;
    }
}
