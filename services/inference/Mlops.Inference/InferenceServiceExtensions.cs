using Mlops.ServiceDefaults;
using Mlops.Kafka;
using Mlops.Messaging;

namespace Mlops.Inference;

/// <summary>Registers what the inference service needs.</summary>
internal static class InferenceServiceExtensions
{
    /// <summary>The inference service's dependencies; readiness follows them.</summary>
    public static IHostApplicationBuilder AddInferenceServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformPostgres("inference");
        builder.AddPlatformKafka();
        builder.AddPlatformMessaging();
        return builder;
    }
}
