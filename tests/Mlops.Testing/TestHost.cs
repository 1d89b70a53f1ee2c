using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mlops.Testing;

/// <summary>Generic hosts wired like a service, against the real infrastructure.</summary>
public static class TestHost
{
    /// <summary>
    /// One logger factory for every test host in the process. MassTransit keeps the first bus's logger factory
    /// in a static log context; if a host owned (and disposed) it, the next bus in the same process would fail.
    /// </summary>
    public static readonly ILoggerFactory SharedLoggerFactory = LoggerFactory.Create(logging => logging
        .SetMinimumLevel(LogLevel.Warning)
        .AddSimpleConsole(o => o.SingleLine = true));

    /// <summary>A host builder whose configuration is the platform's, with test overrides on top.</summary>
    public static HostApplicationBuilder CreateBuilder(string applicationName, IDictionary<string, string?>? overrides = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = applicationName,
            EnvironmentName = "Testing",
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        builder.Configuration.AddConfiguration(PlatformInfrastructure.Configuration);
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        builder.Services.AddSingleton(SharedLoggerFactory);
        return builder;
    }
}
