using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Messaging.Sagas;
using Mlops.Messaging.Tests.Sagas;
using Mlops.ServiceDefaults;
using Mlops.Testing;

namespace Mlops.Messaging.Tests;

/// <summary>Hosts wired like a service: the platform's bus registration against the real RabbitMQ and PostgreSQL.</summary>
internal static class MessagingHosts
{
    public const string SagaTypeName = "tests.pipeline-run";

    public static async Task<IHost> StartAsync(
        Action<IBusRegistrationConfigurator> configure, IDictionary<string, string?>? connection = null, Action<IServiceCollection>? services = null)
    {
        // Generous retries: the concurrency test makes many messages race for one saga row on purpose.
        var settings = new Dictionary<string, string?> { ["RabbitMq:RetryLimit"] = "30" };
        foreach (var (key, value) in connection ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var builder = TestHost.CreateBuilder("messaging-tests", settings);
        builder.AddPlatformPostgres("tests");
        services?.Invoke(builder.Services);
        builder.AddPlatformMessaging(configure);
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>
    /// Queues of test runs disappear once their last consumer leaves. Not exclusive (<c>Temporary</c>): another
    /// host of the same test, or a sender, must be able to declare the same queue.
    /// </summary>
    public static void AutoDelete(IEndpointRegistrationConfigurator endpoint) =>
        endpoint.AddConfigureEndpointCallback(configurator =>
        {
            if (configurator is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.AutoDelete = true;
            }
        });

    public static Task<IHost> StartSagaHostAsync(string queue) =>
        StartAsync(bus => bus.AddSagaStateMachine<PipelineRunStateMachine, PipelineRunState>()
            .Endpoint(e =>
            {
                e.Name = queue;
                e.ConcurrentMessageLimit = 8;
                AutoDelete(e);
            })
            .PostgresRepository(o => o.SagaTypeName = SagaTypeName));
}
