using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Messaging.Faults;

namespace Mlops.Messaging;

/// <summary>Registration of MassTransit over RabbitMQ with the platform's conventions.</summary>
public static class MessagingExtensions
{
    /// <summary>
    /// Adds the bus: kebab-case endpoint names, exponential retry and an in-memory outbox on every endpoint
    /// (messages a consumer publishes leave only after it completed, and not at all if it failed; sagas on the
    /// PostgreSQL repository use its durable outbox instead, see <c>PostgresSagaRepositoryOptions.Outbox</c>),
    /// health checks tagged ready, and OpenTelemetry through MassTransit's own activity source.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="configure">Registers consumers, sagas and their repositories.</param>
    public static IHostApplicationBuilder AddPlatformMessaging(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configure = null)
    {
        var options = new RabbitMqOptions();
        builder.Configuration.GetSection(RabbitMqOptions.SectionName).Bind(options);
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            throw new InvalidOperationException("RabbitMq:Host is not configured (environment variable RabbitMq__Host, or the platform env file).");
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = false;
            o.StopTimeout = TimeSpan.FromSeconds(15);
        });

        builder.Services.AddMassTransit(bus =>
        {
            // MassTransit otherwise reports usage to its vendor over the internet: no service here calls out unasked.
            bus.DisableUsageTelemetry();
            bus.SetKebabCaseEndpointNameFormatter();
            bus.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                endpoint.UseMessageRetry(r => r.Exponential(options.RetryLimit, options.RetryMinInterval, options.RetryMaxInterval, TimeSpan.FromMilliseconds(50)));
                endpoint.UseInMemoryOutbox(context);
                // Configuring the error pipe replaces MassTransit's default one, so its two filters (publish the fault,
                // move the message to _error) follow ours, which names the member of an unreadable body.
                endpoint.ConfigureError(error =>
                {
                    error.UseFilter(new NamedFaultReasonFilter());
                    error.UseFilter(new GenerateFaultFilter());
                    error.UseFilter(new ErrorTransportFilter());
                });
            });

            configure?.Invoke(bus);

            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(options.Host, (ushort)options.Port, options.VirtualHost, host =>
                {
                    host.Username(options.Username);
                    host.Password(options.Password);
                });
                rabbit.ConfigureEndpoints(context);
            });
        });

        return builder;
    }
}
