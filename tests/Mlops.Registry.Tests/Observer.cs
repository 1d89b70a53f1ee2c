using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Registry;
using Mlops.Messaging;
using Mlops.Testing;

namespace Mlops.Registry.Tests;

/// <summary>Another service on the bus: sends registry commands and records the registry's published events.</summary>
internal sealed class Observer : IAsyncDisposable
{
    readonly IHost _host;

    Observer(IHost host) => _host = host;

    public ObservedMessages Messages => _host.Services.GetRequiredService<ObservedMessages>();

    /// <summary>Joins the registry host's virtual host.</summary>
    public static Task<Observer> StartAsync(RegistryHost registry) => StartAsync(registry.VirtualHost);

    public static async Task<Observer> StartAsync(RabbitMqVirtualHost virtualHost)
    {
        var queue = PlatformInfrastructure.UniqueName("registry-observer");
        var builder = TestHost.CreateBuilder("registry-observer", new Dictionary<string, string?> { [RabbitMqVirtualHost.ConfigurationKey] = virtualHost.Name });
        builder.Services.AddSingleton<ObservedMessages>();
        builder.AddPlatformMessaging(bus =>
        {
            bus.AddConsumer<ObservingConsumer>().Endpoint(e =>
            {
                e.Name = queue;
                e.AddConfigureEndpointCallback(c => ((IRabbitMqReceiveEndpointConfigurator)c).AutoDelete = true);
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        var host = builder.Build();
        await host.StartAsync();
        return new Observer(host);
    }

    /// <summary>Sends a command where every sender sends it: its queue as <see cref="CommandQueues"/> names it.</summary>
    public async Task SendAsync<T>(T message)
        where T : class
    {
        var endpoint = await _host.Services.GetRequiredService<IBus>().GetSendEndpoint(CommandQueues.AddressOf<T>());
        await endpoint.Send(message);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

internal sealed class ObservedMessages
{
    readonly ConcurrentQueue<(object Message, Guid? MessageId)> _messages = new();

    public void Add(object message, Guid? messageId) => _messages.Enqueue((message, messageId));

    public List<(T Message, Guid? MessageId)> Of<T>(Func<T, bool> where) =>
        _messages.Where(m => m.Message is T t && where(t)).Select(m => ((T)m.Message, m.MessageId)).ToList();
}

internal sealed class ObservingConsumer(ObservedMessages observed) :
    IConsumer<ModelVersionRegistered>, IConsumer<DeploymentChanged>, IConsumer<PromotionApproved>, IConsumer<RegistryCommandRejected>,
    IConsumer<TrafficSplitChanged>
{
    public Task Consume(ConsumeContext<ModelVersionRegistered> context) => Record(context);

    public Task Consume(ConsumeContext<DeploymentChanged> context) => Record(context);

    public Task Consume(ConsumeContext<PromotionApproved> context) => Record(context);

    public Task Consume(ConsumeContext<RegistryCommandRejected> context) => Record(context);

    public Task Consume(ConsumeContext<TrafficSplitChanged> context) => Record(context);

    Task Record<T>(ConsumeContext<T> context)
        where T : class
    {
        observed.Add(context.Message, context.MessageId);
        return Task.CompletedTask;
    }
}
