using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Idempotency;
using Mlops.Kafka.Producing;
using Mlops.ServiceDefaults.Health;

namespace Mlops.Kafka;

/// <summary>Registration of the Kafka building block.</summary>
public static class KafkaServiceCollectionExtensions
{
    /// <summary>
    /// Adds the shared producer, topic admin, idempotency inbox and a readiness check, with settings from
    /// the <c>Kafka</c> configuration section.
    /// </summary>
    public static TBuilder AddPlatformKafka<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        LibrdkafkaResolver.Register();
        KafkaTransientFailures.Register();
        builder.Services.AddOptions<KafkaOptions>().Bind(builder.Configuration.GetSection(KafkaOptions.SectionName));
        builder.Services.TryAddSingleton<KafkaClientConfigFactory>();
        builder.Services.TryAddSingleton<IEventProducer, KafkaEventProducer>();
        builder.Services.TryAddSingleton<KafkaTopicAdmin>();
        builder.Services.TryAddSingleton<KafkaInbox>();
        builder.Services.TryAddSingleton<KafkaInboxUse>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<KafkaInboxOptions>().BindConfiguration(KafkaInboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<KafkaInboxPurger>();
        builder.Services.TryAddSingleton<KafkaConsumerStatus>();
        builder.Services.TryAddSingleton<KafkaPartitionOwnership>();
        builder.Services.AddHealthChecks()
            .AddCheck<KafkaHealthCheck>("kafka", tags: [HealthTags.Ready])
            .AddCheck<KafkaConsumersHealthCheck>(KafkaConsumersHealthCheck.Name, HealthStatus.Degraded, [HealthTags.Ready]);
        return builder;
    }

    /// <summary>
    /// Adds a hosted consumer that feeds records of <paramref name="topics"/> one at a time to
    /// <typeparamref name="THandler"/> (resolved per record from a new scope).
    /// </summary>
    public static IHostApplicationBuilder AddKafkaConsumer<T, THandler>(
        this IHostApplicationBuilder builder, string groupId, IEnumerable<string> topics, Action<KafkaConsumerOptions>? configure = null)
        where THandler : class, IKafkaEventHandler<T>
    {
        builder.Services.TryAddScoped<THandler>();
        builder.Services.TryAddScoped<SingleEventBatchAdapter<T, THandler>>();
        return builder.AddConsumerHost<T, SingleEventBatchAdapter<T, THandler>>(groupId, topics, typeof(THandler).Name, batchSize: 1, configure);
    }

    /// <summary>
    /// Adds a hosted consumer that hands <typeparamref name="THandler"/> up to <paramref name="maxBatchSize"/> records
    /// at a time — whatever one poll returned — for handlers that apply many records in one transaction.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaBatchConsumer<T, THandler>(
        this IHostApplicationBuilder builder, string groupId, IEnumerable<string> topics, int maxBatchSize = 500, Action<KafkaConsumerOptions>? configure = null)
        where THandler : class, IKafkaBatchEventHandler<T>
    {
        builder.Services.TryAddScoped<THandler>();
        return builder.AddConsumerHost<T, THandler>(groupId, topics, typeof(THandler).Name, maxBatchSize, configure);
    }

    static IHostApplicationBuilder AddConsumerHost<T, THandler>(
        this IHostApplicationBuilder builder, string groupId, IEnumerable<string> topics, string handlerName, int batchSize, Action<KafkaConsumerOptions>? configure)
        where THandler : class, IKafkaBatchEventHandler<T>
    {
        var options = new KafkaConsumerOptions { GroupId = groupId, HandlerName = handlerName, MaxBatchSize = batchSize };
        foreach (var topic in topics)
        {
            options.Topics.Add(topic);
        }

        configure?.Invoke(options);
        builder.Services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<KafkaConsumerHost<T, THandler>>(sp, options));
        return builder;
    }
}
