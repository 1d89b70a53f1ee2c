using Mlops.ServiceDefaults;
using Mlops.Messaging;

namespace Mlops.Training;

/// <summary>Registers what the training service needs.</summary>
internal static class TrainingServiceExtensions
{
    /// <summary>The training service's dependencies; readiness follows them.</summary>
    public static IHostApplicationBuilder AddTrainingServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformPostgres("training");
        builder.AddPlatformMessaging();
        return builder;
    }
}
