using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mlops.Gateway.Security;
using Npgsql;

namespace Mlops.Gateway.Tests.Security;

/// <summary>Key management through the gateway's API, and what its database holds.</summary>
public sealed class ApiKeysApiTests(SecuredGateway gateway) : IClassFixture<SecuredGateway>
{
    [Fact]
    public async Task Create_ValidRequest_ReturnsKeyOnceAndItWorksForItsRole()
    {
        using var admin = gateway.Client(gateway.AdminKey);

        using var created = await admin.PostAsJsonAsync(ApiKeysApi.Path, new { name = "ward dashboard", roles = new[] { "PREDICT", "predict" } });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetString()!;
        var key = body.GetProperty("key").GetString()!;
        Assert.StartsWith($"{ApiKeySecret.Prefix}{id}_", key, StringComparison.Ordinal);
        Assert.Equal(["predict"], body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal($"{ApiKeysApi.Path}/{id}", created.Headers.Location?.ToString());

        using var client = gateway.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/inference/predict", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/training/runs", new { })).StatusCode);

        var listed = await admin.GetStringAsync(ApiKeysApi.Path);
        Assert.Contains($"\"id\":\"{id}\"", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(key, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(key[(key.IndexOf('_', ApiKeySecret.Prefix.Length) + 1)..], listed, StringComparison.Ordinal);
        var one = await admin.GetFromJsonAsync<JsonElement>($"{ApiKeysApi.Path}/{id}");
        Assert.Equal("ward dashboard", one.GetProperty("name").GetString());
        Assert.False(one.TryGetProperty("key", out _), "a stored key is never shown again");
    }

    [Fact]
    public async Task Revoke_KeyInUse_RefusedAtOnceWith401NamingTheRevocation()
    {
        var (id, key) = await gateway.CreateKeyAsync("soon revoked", Roles.Operate);
        using var client = gateway.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/registry/models")).StatusCode);
        using var admin = gateway.Client(gateway.AdminKey);

        using var revoked = await admin.DeleteAsync($"{ApiKeysApi.Path}/{id}");

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.True((await revoked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revoked").GetBoolean());
        using var refused = await client.GetAsync("/api/registry/models");
        await RouteRoleMatrixTests.AssertProblemAsync(refused, HttpStatusCode.Unauthorized, "API key refused", $"API key '{id}' was revoked");
        var listed = await admin.GetFromJsonAsync<JsonElement>(ApiKeysApi.Path);
        Assert.True(listed.EnumerateArray().Single(k => k.GetProperty("id").GetString() == id).GetProperty("revokedAt").ValueKind == JsonValueKind.String);
    }

    [Fact]
    public async Task Revoke_UnknownId_404Problem()
    {
        using var admin = gateway.Client(gateway.AdminKey);

        using var response = await admin.DeleteAsync($"{ApiKeysApi.Path}/000000000000");

        await RouteRoleMatrixTests.AssertProblemAsync(response, HttpStatusCode.NotFound, "No such key", "000000000000");
    }

    [Theory]
    [InlineData("""{"roles":["predict"]}""", "name")]
    [InlineData("""{"name":"x","roles":[]}""", "roles")]
    [InlineData("""{"name":"x"}""", "roles")]
    [InlineData("""{"name":"x","roles":["predict","superuser"]}""", "roles")]
    public async Task Create_InvalidRequest_400NamingTheField(string json, string field)
    {
        using var admin = gateway.Client(gateway.AdminKey);

        using var response = await admin.PostAsync(ApiKeysApi.Path, new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors name '{field}': {problem}");
    }

    [Fact]
    public async Task Store_Keys_HeldAsSha256OnlyNeverTheSecret()
    {
        var (id, key) = await gateway.CreateKeyAsync("at rest", Roles.Ingest);
        var secret = key[(key.IndexOf('_', ApiKeySecret.Prefix.Length) + 1)..];
        ApiKeySecret.TryParse(gateway.AdminKey, out var adminId, out var adminSecret);

        await using var dataSource = NpgsqlDataSource.Create(gateway.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT id, secret_hash, t::text FROM gateway_api_keys t");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<string, (byte[] Hash, string Text)>();
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = (reader.GetFieldValue<byte[]>(1), reader.GetString(2));
        }

        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), rows[id].Hash);
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(adminSecret!)), rows[adminId!].Hash);
        foreach (var (_, text) in rows.Values)
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(adminSecret!, text, StringComparison.Ordinal);
        }
    }
}
