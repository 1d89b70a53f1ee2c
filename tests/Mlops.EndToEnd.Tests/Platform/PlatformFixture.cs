using Mlops.EndToEnd.Tests.Telemetry;
using Xunit.Sdk;

namespace Mlops.EndToEnd.Tests.Platform;

/// <summary>One telemetry receiver and one platform for the journey tests (started once; the tests run one after another).</summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    readonly List<string> _startLog = [];

    /// <summary>The in-test OTLP receiver the services export to.</summary>
    public OtlpReceiver Receiver { get; private set; } = null!;

    /// <summary>The running services.</summary>
    public PlatformUnderTest Platform { get; private set; } = null!;

    /// <summary>What happened while starting (ports, readiness), for the tests' output.</summary>
    public IReadOnlyList<string> StartLog => _startLog;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Receiver = await OtlpReceiver.StartAsync();
        try
        {
            Platform = await PlatformUnderTest.StartAsync(Receiver.GrpcEndpoint, line => _startLog.Add($"[{DateTime.UtcNow:HH:mm:ss}] {line}"));
        }
        catch (Exception ex)
        {
            await Receiver.DisposeAsync();
            throw new XunitException("journey step 'platform starts' failed: " + ex.Message);
        }
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Platform is not null)
        {
            await Platform.DisposeAsync();
        }

        await Receiver.DisposeAsync();
    }
}
