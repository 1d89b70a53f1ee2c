using System.Net;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Apply;
using Mlops.Cli.Core.Gateway;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Apply;

/// <summary>What <c>mlops apply</c> checks locally before sending (and what <c>--dry-run</c> shows).</summary>
public sealed class ApplyFileTests
{
    [Fact]
    public void Parse_ExampleFile_SchemasThenSetWithoutTheirKeys()
    {
        var file = ApplyFile.Parse(File.ReadAllText(Path.Combine(PlatformInfrastructure.RepositoryRoot, "docs", "examples", "own-data.json")));

        Assert.Empty(file.Problems);
        Assert.Equal(new[] { "glucose", "bmi" }, file.Schemas.Select(s => s.Code));
        Assert.Equal("metabolic", Assert.Single(file.FeatureSets).Name);
        Assert.DoesNotContain(file.Schemas, s => s.Body.ContainsKey("code"));
        Assert.False(file.FeatureSets[0].Body.ContainsKey("name"));
        Assert.Equal("mmol/L", file.Schemas[0].Body["Unit"]!.GetValue<string>());
    }

    [Fact]
    public void Parse_BadShape_NamesEveryProblemWithItsField()
    {
        var file = ApplyFile.Parse("""
            { "schemas": [ { "Unit": "x" }, { "code": "a", "Unit": "u" }, { "Code": "a", "Unit": "v" }, 3, { "code": "b" } ],
              "featureSets": {}, "extra": 1 }
            """);

        Assert.Equal(
            new[] { "extra", "schemas[0].code", "schemas[2].code", "schemas[3]", "schemas[4]", "featureSets" },
            file.Problems.Select(p => p.Field));
        Assert.Equal("a", Assert.Single(file.Schemas).Code);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{ "schemas": [], "featureSets": null }""")]
    public void Parse_NothingToApply_IsAProblemAtTheRoot(string json)
    {
        Assert.Equal("$", Assert.Single(ApplyFile.Parse(json).Problems).Field);
    }

    [Fact]
    public void FieldProblems_ValidationProblem_EveryMessageOfEveryField()
    {
        var body = JsonNode.Parse("""{"title":"invalid","status":400,"errors":{"aggregations[0].functions[1]":["unknown function 'median'"],"min":["a","b"]}}""");

        var problems = Applier.FieldProblems(new ApiProblem("PUT /x", HttpStatusCode.BadRequest, body, body!.ToJsonString()));

        Assert.Equal(new[] { "aggregations[0].functions[1]: unknown function 'median'", "min: a", "min: b" }, problems);
    }
}
