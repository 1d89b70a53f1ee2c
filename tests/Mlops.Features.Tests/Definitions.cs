using Microsoft.Extensions.Configuration;
using Mlops.Features.Definitions;

namespace Mlops.Features.Tests;

/// <summary>The definition set the service ships, bound the way the service binds it.</summary>
internal static class Definitions
{
    public static FeatureDefinitions Shipped()
    {
        var definitions = new FeatureDefinitions();
        new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "features.json")).Build()
            .GetSection(FeatureDefinitions.SectionName).Bind(definitions);
        return definitions;
    }
}
