using Mlops.ServiceDefaults;
using Mlops.Kafka;

namespace Mlops.Ingestion;

/// <summary>Registers what the ingestion service needs.</summary>
internal static class IngestionServiceExtensions
{
    /// <summary>The ingestion service's dependencies; readiness follows them.</summary>
    public static IHostApplicationBuilder AddIngestionServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformPostgres("ingestion");
        builder.AddPlatformKafka();
        return builder;
    }
}
