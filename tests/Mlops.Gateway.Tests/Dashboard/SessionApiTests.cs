using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Net.Http.Headers;
using Mlops.Gateway.Dashboard;
using Mlops.Gateway.Security;
using Mlops.Gateway.Tests.Security;

namespace Mlops.Gateway.Tests.Dashboard;

/// <summary>
/// Browser sign-in through the real gateway (shipped routes and policies, keys in its own database): the cookie it
/// sets, reads and actions with that cookie, the CSRF token state changes need, and roles still deciding.
/// </summary>
public sealed class SessionApiTests(SecuredGateway gateway) : IClassFixture<SecuredGateway>
{
    [Fact]
    public async Task SignIn_ValidKey_SetsHttpOnlyStrictCookieAndReturnsRolesAndToken()
    {
        var (id, key) = await gateway.CreateKeyAsync("ops on call", Roles.Operate);
        using var client = gateway.Client();

        using var response = await client.PostAsJsonAsync(SessionApi.SessionPath, new { apiKey = key });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = SetCookieHeaderValue.ParseList(response.Headers.GetValues(HeaderNames.SetCookie).ToList()).Single(c => c.Name == DashboardSession.KeyCookie);
        Assert.True(cookie.HttpOnly, "script must not read the key");
        Assert.Equal(Microsoft.Net.Http.Headers.SameSiteMode.Strict, cookie.SameSite);
        Assert.False(cookie.Secure, "the test server speaks http: Secure is set over https only");
        Assert.Equal("/", cookie.Path.ToString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, body.GetProperty("keyId").GetString());
        Assert.Equal("ops on call", body.GetProperty("name").GetString());
        Assert.Equal(["operate"], body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("operate", body.GetProperty("can").EnumerateArray().Select(r => r.GetString()));
        Assert.DoesNotContain("admin", body.GetProperty("can").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(DashboardSession.CsrfTokenFor(key), body.GetProperty("csrfToken").GetString());
    }

    [Fact]
    public async Task SignIn_UnknownKey_401ProblemAndNoCookie()
    {
        using var client = gateway.Client();

        using var response = await client.PostAsJsonAsync(SessionApi.SessionPath, new { apiKey = ApiKeySecret.Generate().Key });

        await RouteRoleMatrixTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "API key refused", "not a valid API key");
        Assert.False(response.Headers.Contains(HeaderNames.SetCookie));
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"apiKey":"  "}""")]
    public async Task SignIn_NoKey_400NamingApiKey(string json)
    {
        using var client = gateway.Client();

        using var response = await client.PostAsync(SessionApi.SessionPath, new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("apiKey", out _), problem.ToString());
    }

    [Fact]
    public async Task Cookie_Read_AuthenticatesAndNeitherKeyNorCookieIsForwarded()
    {
        var (_, key) = await gateway.CreateKeyAsync("reader", Roles.Predict);
        using var client = CookieClient(key);

        using var response = await client.GetAsync("/api/registry/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(forwarded.GetProperty("cookieForwarded").GetBoolean(), "the session cookie holds a key: it must stay at the gateway");
        Assert.False(forwarded.GetProperty("apiKeyForwarded").GetBoolean());
    }

    [Fact]
    public async Task CookiePost_WithoutCsrfToken_403ProblemAndNotForwarded()
    {
        var (_, key) = await gateway.CreateKeyAsync("operator", Roles.Operate);
        using var client = CookieClient(key);

        using var response = await client.PostAsJsonAsync($"/api/registry/rollouts/{Guid.NewGuid()}/approve", new { by = "x", reason = "y" });

        await RouteRoleMatrixTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "CSRF token required", DashboardSession.CsrfHeader);
    }

    [Fact]
    public async Task CookiePost_WithAnotherKeysToken_403()
    {
        var (_, key) = await gateway.CreateKeyAsync("operator", Roles.Operate);
        var (_, other) = await gateway.CreateKeyAsync("someone else", Roles.Operate);
        using var client = CookieClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/registry/rollouts/{Guid.NewGuid()}/abort") { Content = JsonContent.Create(new { by = "x", reason = "y" }) };
        request.Headers.Add(DashboardSession.CsrfHeader, DashboardSession.CsrfTokenFor(other));

        using var response = await client.SendAsync(request);

        await RouteRoleMatrixTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "CSRF token required", DashboardSession.CsrfHeader);
    }

    [Fact]
    public async Task CookiePost_OperateKeyWithToken_Forwarded()
    {
        var (_, key) = await gateway.CreateKeyAsync("operator", Roles.Operate);
        using var client = CookieClient(key);

        using var response = await client.SendAsync(Post($"/api/registry/rollouts/{Guid.NewGuid()}/promote", DashboardSession.CsrfTokenFor(key)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("POST", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("method").GetString());
    }

    [Fact]
    public async Task CookiePost_ViewerKeyWithToken_403RoleRequired()
    {
        var (id, key) = await gateway.CreateKeyAsync("viewer", Roles.Predict);
        using var client = CookieClient(key);

        using var response = await client.SendAsync(Post($"/api/registry/rollouts/{Guid.NewGuid()}/approve", DashboardSession.CsrfTokenFor(key)));

        await RouteRoleMatrixTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "Role required", $"API key '{id}'");
    }

    [Fact]
    public async Task HeaderKeyPost_NeedsNoCsrfToken()
    {
        using var client = gateway.Client(gateway.KeyForRole(Roles.Operate));

        using var response = await client.PostAsJsonAsync($"/api/registry/rollouts/{Guid.NewGuid()}/abort", new { by = "x", reason = "y" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Me_WithCookie_NamesKeyRolesAndSessionToken()
    {
        var (id, key) = await gateway.CreateKeyAsync("ops", Roles.Operate, Roles.Train);
        using var client = CookieClient(key);

        var me = await client.GetFromJsonAsync<JsonElement>(SessionApi.MePath);

        Assert.Equal(id, me.GetProperty("keyId").GetString());
        Assert.Equal(["train", "operate"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("cookie", me.GetProperty("via").GetString());
        Assert.Equal(DashboardSession.CsrfTokenFor(key), me.GetProperty("csrfToken").GetString());
    }

    [Fact]
    public async Task Me_WithHeader_NoTokenAndAdminCanEverything()
    {
        using var client = gateway.Client(gateway.AdminKey);

        var me = await client.GetFromJsonAsync<JsonElement>(SessionApi.MePath);

        Assert.Equal("header", me.GetProperty("via").GetString());
        Assert.Equal(JsonValueKind.Null, me.GetProperty("csrfToken").ValueKind);
        Assert.Equal(Roles.Policies.Keys.Order(), me.GetProperty("can").EnumerateArray().Select(r => r.GetString()!).Order());
    }

    [Fact]
    public async Task Cookie_RevokedKey_401NamingTheCookie()
    {
        var (id, key) = await gateway.CreateKeyAsync("soon revoked", Roles.Operate);
        using var client = CookieClient(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(SessionApi.MePath)).StatusCode);
        using var admin = gateway.Client(gateway.AdminKey);
        (await admin.DeleteAsync($"{ApiKeysApi.Path}/{id}")).EnsureSuccessStatusCode();

        using var response = await client.GetAsync(SessionApi.MePath);

        await RouteRoleMatrixTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "API key refused", $"API key '{id}' was revoked");
    }

    [Fact]
    public async Task SignOut_ExpiresTheCookie()
    {
        using var client = gateway.Client();

        using var response = await client.DeleteAsync(SessionApi.SessionPath);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var cookie = SetCookieHeaderValue.ParseList(response.Headers.GetValues(HeaderNames.SetCookie).ToList()).Single(c => c.Name == DashboardSession.KeyCookie);
        Assert.True(cookie.Expires < DateTimeOffset.UtcNow, $"expires {cookie.Expires}");
    }

    [Fact]
    public async Task Root_NoKey_ServesThePageWithAStrictContentSecurityPolicy()
    {
        using var client = gateway.Client();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/dashboard/app.js", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/dashboard/app.js")).StatusCode);
    }

    [Fact]
    public async Task Events_WithCookie_StreamsASnapshotOfEveryService()
    {
        var (_, key) = await gateway.CreateKeyAsync("watcher", Roles.Predict);
        using var client = CookieClient(key);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var response = await client.GetAsync(DashboardApi.EventsPath, HttpCompletionOption.ResponseHeadersRead, cancel.Token);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        string? data = null;
        while (data is null && await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            data = line.StartsWith("data: ", StringComparison.Ordinal) ? line["data: ".Length..] : null;
        }

        var snapshot = JsonDocument.Parse(data!).RootElement;
        var services = snapshot.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("service").GetString()).ToList();
        Assert.Equal(["features", "inference", "ingestion", "monitoring", "registry", "training"], services);
        Assert.All(snapshot.GetProperty("services").EnumerateArray(), s => Assert.Equal("Healthy", s.GetProperty("health").GetString()));
        Assert.True(snapshot.GetProperty("topics").TryGetProperty("rollouts", out _), snapshot.ToString());
    }

    [Fact]
    public async Task Events_NoKey_401()
    {
        using var client = gateway.Client();

        using var response = await client.GetAsync(DashboardApi.EventsPath, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>A client that sends the session cookie as a browser would, and no key header.</summary>
    HttpClient CookieClient(string key)
    {
        var client = gateway.Client();
        client.DefaultRequestHeaders.Add(HeaderNames.Cookie, $"{DashboardSession.KeyCookie}={key}");
        return client;
    }

    static HttpRequestMessage Post(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { by = "x", reason = "y" }) };
        request.Headers.Add(DashboardSession.CsrfHeader, token);
        return request;
    }
}
