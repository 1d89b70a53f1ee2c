using Mlops.Testing;

namespace Mlops.Monitoring.Tests;

/// <summary>
/// Monitoring in process (<see cref="MonitoringAppFactory"/>) scraping a real inference process
/// (<see cref="InferenceProcess"/>) that publishes on monitoring's predictions topic: the inference pod starts first so
/// monitoring is configured with its address, as a deployment names its inference pods.
/// </summary>
public sealed class MonitoringWithInference : IAsyncLifetime
{
    public MonitoringAppFactory Factory { get; } = new();

    public ServiceProcess Inference { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var port = ServiceProcess.FreePort();
        Factory.InferenceBaseAddress = new Uri($"http://127.0.0.1:{port}/");
        // The factory's brokers and stand-ins first (inference publishes on its topic, in its virtual host), then the pod,
        // then the monitoring server, which starts scraping the pod at once.
        await Factory.PrepareAsync();
        Inference = await InferenceProcess.StartAsync(Factory, port);
        await Factory.StartServerAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Factory).DisposeAsync();
        await Inference.DisposeAsync();
    }
}
