using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Mlops.Features.Api;
using Mlops.Features.Storage;

namespace Mlops.Features.Tests.Api;

/// <summary>Registering definition sets: validation with the start-up rules, content-hash versions, append-only history.</summary>
[Collection(DefinitionSetsCollection.Name)]
public sealed class DefinitionSetsApiTests(DefinitionSetsFixture service)
{
    readonly HttpClient _http = service.CreateClient();

    /// <summary>A set over codes the shipped set does not read (registered through ingestion's schemas).</summary>
    public static object MetabolicSet(int glucoseHours = 6) => new
    {
        entityType = "patient",
        earlyWarningScore = false,
        aggregations = new object[]
        {
            new { code = "glucose", functions = new[] { "last", "mean", "count" }, windows = new[] { $"{glucoseHours:00}:00:00", "1.00:00:00" } },
            new { code = "bmi", functions = new[] { "last" }, windows = new[] { "7.00:00:00" } },
        },
        ratios = new object[] { new { name = "glucose_per_bmi", numerator = "glucose_last_24h", denominator = "bmi_last_168h" } },
    };

    [Fact]
    public async Task Register_InvalidSet_Is400NamingEachField()
    {
        var body = new
        {
            entityType = "patient",
            aggregations = new object[]
            {
                new { code = "", functions = new[] { "last", "median" }, windows = new[] { "-01:00:00", "00:00:30" } },
            },
            ratios = new object[] { new { name = "r", numerator = "nothing_here", denominator = "glucose_last_1h" } },
        };

        var problem = await PutExpecting400Async($"bad-{Guid.NewGuid():N}"[..12], JsonSerializer.Serialize(body));

        Assert.Contains("code is required", Errors(problem, "aggregations[0].code"));
        Assert.Contains("unknown function 'median'", Errors(problem, "aggregations[0].functions[1]"));
        Assert.Contains("must be positive", Errors(problem, "aggregations[0].windows[0]"));
        Assert.Contains("whole minutes", Errors(problem, "aggregations[0].windows[1]"));
        Assert.Contains("'nothing_here' is not a feature of this set", Errors(problem, "ratios[0].numerator"));
        Assert.Contains("'glucose_last_1h' is not a feature of this set", Errors(problem, "ratios[0].denominator"));
    }

    [Fact]
    public async Task Register_UnreadableWindowOrUnknownMember_Is400NamingTheField()
    {
        const string badWindow = """{ "aggregations": [ { "code": "glucose", "functions": [ "last" ], "windows": [ "6 hours" ] } ] }""";
        var window = await PutExpecting400Async($"w-{Guid.NewGuid():N}"[..12], badWindow);
        Assert.Contains("could not be read", Errors(window, "aggregations[0].windows[0]"));

        const string unknownMember = """{ "aggregations": [ { "code": "glucose", "functions": [ "last" ], "windows": [ "06:00:00" ], "filter": "x" } ] }""";
        var member = await PutExpecting400Async($"m-{Guid.NewGuid():N}"[..12], unknownMember);
        Assert.Contains("filter", member.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_ShippedNameOrBadNameOrContradictingBodyName_Is400NamingName()
    {
        Assert.Contains("shipped set", Errors(await PutExpecting400Async("vitals", JsonSerializer.Serialize(MetabolicSet())), "name"));
        Assert.Contains("must start with a letter or digit", Errors(await PutExpecting400Async("-dash", JsonSerializer.Serialize(MetabolicSet())), "name"));
        var contradicting = """{ "name": "other", "aggregations": [ { "code": "glucose", "functions": [ "last" ], "windows": [ "06:00:00" ] } ] }""";
        Assert.Contains("differs from the name in the route", Errors(await PutExpecting400Async("mine", contradicting), "name"));
    }

    [Fact]
    public async Task Register_IdenticalBodyTwice_SameVersion200_ChangedBody_NewVersion201_HistoryKept()
    {
        var name = $"metabolic-{Guid.NewGuid():N}"[..18];

        var first = await _http.PutAsJsonAsync($"/api/features/definition-sets/{name}?registeredBy=alice", MetabolicSet());
        var again = await _http.PutAsJsonAsync($"/api/features/definition-sets/{name}", MetabolicSet());
        var changed = await _http.PutAsJsonAsync($"/api/features/definition-sets/{name}", MetabolicSet(glucoseHours: 2));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.Created, changed.StatusCode);
        var v1 = (await first.Content.ReadFromJsonAsync<DefinitionSetsApi.DefinitionSetEntry>(FeatureStore.Json))!;
        var v1Again = (await again.Content.ReadFromJsonAsync<DefinitionSetsApi.DefinitionSetEntry>(FeatureStore.Json))!;
        var v2 = (await changed.Content.ReadFromJsonAsync<DefinitionSetsApi.DefinitionSetEntry>(FeatureStore.Json))!;
        Assert.Equal(v1.Version, v1Again.Version);
        Assert.NotEqual(v1.Version, v2.Version);
        Assert.StartsWith(name + "-", v1.Version, StringComparison.Ordinal);
        Assert.Equal("alice", v1.RegisteredBy);
        Assert.Contains("glucose_mean_6h", v1.FeatureNames);
        Assert.Contains("glucose_mean_2h", v2.FeatureNames);
        Assert.Contains("glucose_per_bmi", v2.FeatureNames);
        Assert.DoesNotContain("news2", v2.FeatureNames);

        var current = await _http.GetFromJsonAsync<DefinitionSetsApi.DefinitionSetEntry>($"/api/features/definition-sets/{name}", FeatureStore.Json);
        Assert.Equal(v2.Version, current!.Version);
        var versions = await _http.GetFromJsonAsync<List<DefinitionSetsApi.DefinitionSetEntry>>($"/api/features/definition-sets/{name}/versions", FeatureStore.Json);
        Assert.Equal([v1.Version, v2.Version], versions!.Select(v => v.Version));
        var all = await _http.GetFromJsonAsync<List<DefinitionSetsApi.DefinitionSetEntry>>("/api/features/definition-sets", FeatureStore.Json);
        Assert.Equal(("vitals", "configuration"), (all![0].Name, all[0].Source));
        Assert.Contains(all, s => s.Name == name && s.Version == v2.Version && s.Source == "registered");
    }

    [Fact]
    public async Task Get_UnknownSet_Is404_ShippedSet_IsTheConfiguredVersion()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/features/definition-sets/none-{Guid.NewGuid():N}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/features/definition-sets/none-{Guid.NewGuid():N}/versions")).StatusCode);
        var shipped = await _http.GetFromJsonAsync<DefinitionSetsApi.DefinitionSetEntry>("/api/features/definition-sets/vitals", FeatureStore.Json);
        Assert.Equal(Definitions.Shipped().Version, shipped!.Version);
        Assert.Equal(Definitions.Shipped().FeatureNames, shipped.FeatureNames);
    }

    async Task<JsonElement> PutExpecting400Async(string name, string json)
    {
        var response = await _http.PutAsync($"/api/features/definition-sets/{name}", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    static string Errors(JsonElement problem, string field) =>
        problem.GetProperty("errors").TryGetProperty(field, out var messages)
            ? string.Join(" | ", messages.EnumerateArray().Select(m => m.GetString()))
            : throw new Xunit.Sdk.XunitException($"no error for '{field}' in {problem.GetRawText()}");
}
