using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Kafka.Consuming;
using Mlops.Testing;

namespace Mlops.Kafka.Tests;

/// <summary>Starts in-process consumer hosts wired exactly as a service wires them.</summary>
internal static class ConsumerHosts
{
    public static async Task<IHost> StartAsync<THandler>(
        string topic, string group, EventSink<Reading> sink, string? deadLetterTopic = null, Action<IServiceCollection>? services = null)
        where THandler : class, IKafkaEventHandler<Reading>
    {
        var builder = TestHost.CreateBuilder("kafka-consumer-tests");
        services?.Invoke(builder.Services);
        builder.AddPlatformKafka();
        builder.Services.AddSingleton(sink);
        builder.AddKafkaConsumer<Reading, THandler>(group, [topic], o =>
        {
            o.DeadLetterTopic = deadLetterTopic;
            o.MaxAttempts = 3;
            o.InitialBackoff = TimeSpan.FromMilliseconds(20);
            o.CommitEvery = 10;
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
