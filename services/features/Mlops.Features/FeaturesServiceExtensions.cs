using Mlops.ServiceDefaults;
using Mlops.Kafka;

namespace Mlops.Features;

/// <summary>Registers what the features service needs.</summary>
internal static class FeaturesServiceExtensions
{
    /// <summary>The features service's dependencies; readiness follows them.</summary>
    public static IHostApplicationBuilder AddFeaturesServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformPostgres("features");
        builder.AddPlatformKafka();
        return builder;
    }
}
