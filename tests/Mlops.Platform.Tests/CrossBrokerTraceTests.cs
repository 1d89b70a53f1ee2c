using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts;
using Mlops.Contracts.Kafka;
using Mlops.Kafka;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Producing;
using Mlops.Messaging;
using Mlops.ServiceDefaults;
using Mlops.Testing;

namespace Mlops.Platform.Tests;

/// <summary>Observation-like event that enters through Kafka.</summary>
[EventType("mlops.tests.vital-sign.v1")]
public sealed record VitalSign
{
    /// <summary>Entity id.</summary>
    public required string PatientId { get; init; }

    /// <summary>Respiratory rate, breaths per minute.</summary>
    public required int RespiratoryRate { get; init; }
}

/// <summary>Workflow event the Kafka handler publishes over RabbitMQ.</summary>
public sealed record VitalSignEscalated
{
    /// <summary>Entity id.</summary>
    public required string PatientId { get; init; }
}

/// <summary>Where the last hop records the trace it ran in.</summary>
public sealed class TraceSink
{
    /// <summary>Trace id seen by the RabbitMQ consumer, per patient.</summary>
    public ConcurrentDictionary<string, ActivityTraceId> Seen { get; } = new();
}

/// <summary>Kafka hop: relays every vital sign to the bus.</summary>
public sealed class EscalatingVitalSignHandler(IPublishEndpoint bus) : IKafkaEventHandler<VitalSign>
{
    /// <inheritdoc />
    public Task HandleAsync(EventEnvelope<VitalSign> envelope, KafkaMessageContext context, CancellationToken cancellationToken) =>
        bus.Publish(new VitalSignEscalated { PatientId = envelope.Data.PatientId }, cancellationToken);
}

/// <summary>RabbitMQ hop: records the trace it runs in.</summary>
public sealed class VitalSignEscalatedConsumer(TraceSink sink) : IConsumer<VitalSignEscalated>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<VitalSignEscalated> context)
    {
        sink.Seen[context.Message.PatientId] = Activity.Current?.TraceId ?? default;
        return Task.CompletedTask;
    }
}

public sealed class CrossBrokerTraceTests
{
    static readonly ActivitySource TestSource = new("Mlops.Tests.Platform");

    [Fact]
    public async Task OneTrace_FollowsAnEventFromKafkaThroughTheHandlerToARabbitMqConsumer()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is KafkaTelemetry.Name or "MassTransit" or "Mlops.Tests.Platform",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        var topic = PlatformInfrastructure.UniqueName("vitals");
        var queue = PlatformInfrastructure.UniqueName("vital-sign-escalated");
        var sink = new TraceSink();
        var builder = TestHost.CreateBuilder("platform-trace-tests");
        builder.AddPlatformPostgres("tests");
        builder.AddPlatformKafka();
        builder.Services.AddSingleton(sink);
        builder.AddKafkaConsumer<VitalSign, EscalatingVitalSignHandler>(PlatformInfrastructure.UniqueName("group"), [topic]);
        builder.AddPlatformMessaging(bus => bus.AddConsumer<VitalSignEscalatedConsumer>().Endpoint(e =>
        {
            e.Name = queue;
            e.AddConfigureEndpointCallback(c =>
            {
                if (c is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.AutoDelete = true;
                }
            });
        }));
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        using var host = builder.Build();
        await host.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([topic]);
        await host.StartAsync();

        ActivityTraceId rootTrace;
        using (var root = TestSource.StartActivity("monitor publishes a vital sign"))
        {
            Assert.NotNull(root);
            rootTrace = root.TraceId;
            await host.Services.GetRequiredService<IEventProducer>().ProduceAsync(topic, "patient-11", new VitalSign { PatientId = "patient-11", RespiratoryRate = 28 });
        }

        await Eventually.WaitUntilAsync(() => sink.Seen.ContainsKey("patient-11"), "the escalation reached the RabbitMQ consumer");
        await host.StopAsync();

        Assert.Equal(rootTrace, sink.Seen["patient-11"]);
    }
}
