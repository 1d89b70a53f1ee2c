using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Mlops.ServiceDefaults.Telemetry;

/// <summary>
/// Resolving the providers at start-up is what attaches their listeners; without this nothing would be
/// recorded until some code happened to ask for a provider. Stopping flushes pending exports.
/// </summary>
internal sealed class TelemetryProvidersHost(TracerProvider tracerProvider, MeterProvider meterProvider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        tracerProvider.ForceFlush(2000);
        meterProvider.ForceFlush(2000);
        return Task.CompletedTask;
    }
}
