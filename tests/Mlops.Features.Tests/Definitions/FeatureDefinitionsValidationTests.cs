using Mlops.Features.Definitions;

namespace Mlops.Features.Tests;

/// <summary>The configured set is held at start-up to the rules a registered set must pass.</summary>
public sealed class FeatureDefinitionsValidationTests
{
    [Fact]
    public void ShippedSet_PassesTheRules()
    {
        Assert.True(new FeatureDefinitionsValidation().Validate(null, Definitions.Shipped()).Succeeded);
    }

    [Fact]
    public void ConfiguredSetWithUnknownFunctionOrDuplicateFeature_FailsNamingTheField()
    {
        var set = Definitions.Shipped();
        set.Aggregations[0].Functions.Add("median");
        set.Aggregations.Add(new AggregationDefinition { Code = "heart_rate", Functions = ["last"], Windows = [TimeSpan.FromHours(1)] });

        var result = new FeatureDefinitionsValidation().Validate(null, set);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Features: aggregations[0].functions[8]: unknown function 'median'", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("aggregations[10]", StringComparison.Ordinal) && f.Contains("'heart_rate_last_1h' is produced twice", StringComparison.Ordinal));
    }
}
