using Mlops.ServiceDefaults;
using Mlops.Kafka;
using Mlops.Messaging;

namespace Mlops.Monitoring;

/// <summary>Registers what the monitoring service needs.</summary>
internal static class MonitoringServiceExtensions
{
    /// <summary>The monitoring service's dependencies; readiness follows them.</summary>
    public static IHostApplicationBuilder AddMonitoringServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformPostgres("monitoring");
        builder.AddPlatformKafka();
        builder.AddPlatformMessaging();
        return builder;
    }
}
