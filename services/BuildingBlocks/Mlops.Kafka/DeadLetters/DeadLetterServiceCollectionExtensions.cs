using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Mlops.Kafka.DeadLetters;

/// <summary>Registration of the dead-letter replay (needs <c>AddPlatformKafka</c> and the service's PostgreSQL data source).</summary>
public static class DeadLetterServiceCollectionExtensions
{
    /// <summary>Adds the dead-letter reader, replay log and replayer behind <see cref="DeadLetterApi"/>.</summary>
    public static IHostApplicationBuilder AddDeadLetterReplay(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<DeadLetterReader>();
        builder.Services.TryAddSingleton<DeadLetterReplayLog>();
        builder.Services.TryAddSingleton<DeadLetterReplayer>();
        return builder;
    }
}
