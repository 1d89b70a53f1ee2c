using System.Net;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Apply;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Gateway;
using Mlops.EndToEnd.Tests.Platform;
using Mlops.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Mlops.EndToEnd.Tests;

/// <summary>
/// "Your own data, no restart" on the shipped configuration, through the gateway only: a glucose observation is refused,
/// <c>mlops apply</c>'s logic registers the example file's codes and feature set, the same observation is then
/// accepted, and the set's vector for that patient appears in the online store — no process restarted in between.
/// </summary>
/// <remarks>
/// The services keep registrations in the platform's databases for good, so the example's codes get a per-run suffix:
/// a second run must see the 400 again, and must not find its vector already there. The set keeps one name across
/// runs — each run registers a new version of it (its codes differ), so the databases hold one extra set in use, not
/// one per run that every later observation would be computed for.
/// </remarks>
[Collection(JourneyCollection.Name)]
public sealed class OwnDataJourneyTests(PlatformFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task OwnData_ApplyExampleFile_NewCodeAcceptedAndItsFeatureSetServedWithoutRestart()
    {
        foreach (var line in fixture.StartLog)
        {
            output.WriteLine(line);
        }

        var platform = fixture.Platform;
        using var client = new GatewayClient(platform.Gateway, platform.ApiKey, TimeSpan.FromMinutes(2));
        var run = Guid.NewGuid().ToString("N")[..8];
        string Own(string name) => $"{name}_e2e_{run}";
        var metabolic = "metabolic_e2e";
        string? setVersion = null;

        var examples = Path.Combine(PlatformInfrastructure.RepositoryRoot, "docs", "examples");
        var file = ApplyFile.Parse(Renamed(await File.ReadAllTextAsync(Path.Combine(examples, "own-data.json")),
            new() { ["glucose"] = Own("glucose"), ["bmi"] = Own("bmi"), ["metabolic"] = metabolic }));
        Assert.Empty(file.Problems);
        var glucose = Own("glucose");
        Assert.Contains(file.Schemas, s => s.Code == glucose);
        Assert.Contains(file.FeatureSets, s => s.Name == metabolic);

        using var reader = new StringReader(await File.ReadAllTextAsync(Path.Combine(examples, "own-data-observations.csv")));
        var rows = ObservationCsv.Read(reader, "e2e-own-data").Select(r =>
        {
            var body = (JsonObject)r.Body.DeepClone();
            body["code"] = Own(body["code"]!.GetValue<string>());
            body["entityId"] = $"{body["entityId"]!.GetValue<string>()}-{run}";
            body["observationId"] = $"{body["observationId"]!.GetValue<string>()}-{run}";
            return ($"line {r.Line}", body);
        }).ToList();
        var patient = $"own-001-{run}";

        var journey = new JourneySteps("own-data", output.WriteLine, platform);
        Task Step(string name, Func<Task> action, params string[] services) => journey.RunAsync(name, action, services);

        await journey.GatewayReadyAsync(client);

        await Step("a glucose observation is refused before apply", async () =>
        {
            var first = rows.First(r => r.body["code"]!.GetValue<string>() == glucose).body;
            var refused = await Assert.ThrowsAsync<ApiProblem>(() => client.IngestAsync(first, null, CancellationToken.None));
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Contains(glucose, refused.Problem?["errors"]?["code"]?.ToJsonString() ?? "", StringComparison.Ordinal);
        }, "gateway", "ingestion");

        await Step("apply registers the codes, then the set", async () =>
        {
            var applied = await Applier.ApplyAsync(client, file, "e2e", null, CancellationToken.None);
            foreach (var item in applied)
            {
                output.WriteLine($"   {item.Kind} {item.Name}: {item.Status} {item.Version} {string.Join("; ", item.Problems)}");
            }

            Assert.Equal(new[] { "schema", "schema", "feature set" }, applied.Select(a => a.Kind));
            Assert.All(applied, a => Assert.Equal(ApplyStatus.Created, a.Status));
            Assert.Equal("1", applied.Single(a => a.Name == glucose).Version);
            setVersion = applied.Single(a => a.Name == metabolic).Version;
            Assert.StartsWith(metabolic + "-", setVersion, StringComparison.Ordinal);

            // Applying the same file again changes nothing.
            var again = await Applier.ApplyAsync(client, file, "e2e", null, CancellationToken.None);
            Assert.All(again, a => Assert.Equal(ApplyStatus.Unchanged, a.Status));
            Assert.Equal(applied.Select(a => a.Version), again.Select(a => a.Version));
        }, "gateway", "ingestion", "features");

        await Step("the example observations are accepted (mg/dL converted)", async () =>
        {
            var outcome = await client.IngestBatchAsync(rows, CancellationToken.None);
            Assert.True(outcome.Refused.Count == 0, string.Join(" | ", outcome.Refused.Select(r => $"{r.Where}: {r.Reason}")));
            Assert.Equal(rows.Count, outcome.Accepted);
        }, "gateway", "ingestion");

        await Step("the set's vector for the patient is served online", async () =>
        {
            // own-001's newest glucose is 7.4 mmol/L (2026-12-01T07:45); the 24 h before it hold 6.1, 162 mg/dL (8.991) and 11.8.
            JsonNode? vector = null;
            await Eventually.WaitUntilAsync(async () =>
            {
                try
                {
                    vector = await client.SendAsync(HttpMethod.Get, $"api/features/online/{Uri.EscapeDataString(patient)}?set={Uri.EscapeDataString(metabolic)}", null, null, CancellationToken.None);
                }
                catch (ApiProblem problem) when (problem.Status == HttpStatusCode.NotFound)
                {
                    return false;
                }

                return Value(vector, $"{glucose}_last_24h") is 7.4 && Value(vector, $"{glucose}_count_24h") is 4.0;
            }, $"a {metabolic} vector of {patient} with all its glucose values", TimeSpan.FromMinutes(2));

            Assert.Equal(setVersion, vector!["featureSetVersion"]!.GetValue<string>());
            Assert.Equal(11.8, Value(vector, $"{glucose}_max_24h")!.Value, 6);
            Assert.Equal((6.1 + 8.991 + 11.8 + 7.4) / 4, Value(vector, $"{glucose}_mean_24h")!.Value, 3);
            Assert.Equal(31.4, Value(vector, $"{Own("bmi")}_last_720h")!.Value, 6);
        }, "gateway", "ingestion", "features");
    }

    static double? Value(JsonNode? vector, string feature) =>
        vector?["values"]?[feature] is JsonValue v && v.TryGetValue<double>(out var d) ? Math.Round(d, 6) : null;

    // Every code and the set name in the example as a whole JSON string (the file is small and its names distinctive).
    static string Renamed(string json, Dictionary<string, string> names) =>
        names.Aggregate(json, (text, n) => text.Replace($"\"{n.Key}\"", $"\"{n.Value}\"", StringComparison.Ordinal));
}
