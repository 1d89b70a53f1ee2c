using Mlops.EndToEnd.Tests.Platform;
using Mlops.EndToEnd.Tests.Telemetry;
using Xunit.Sdk;

namespace Mlops.EndToEnd.Tests.Chaos;

/// <summary>
/// The seven services on their shipped configuration, started once for all chaos scenarios (they run one after
/// another in <see cref="ChaosCollection"/>), and the figures every scenario measured, printed together at the end.
/// </summary>
public sealed class ChaosFixture : IAsyncLifetime
{
    readonly List<string> _startLog = [];

    public OtlpReceiver Receiver { get; private set; } = null!;

    public PlatformUnderTest Platform { get; private set; } = null!;

    public IReadOnlyList<string> StartLog => _startLog;

    /// <summary>The training run the saga scenarios start (its data loaded on first use).</summary>
    public TrainingRunSaga Training { get; } = new();

    /// <summary>Every scenario's figures in the order they ran.</summary>
    public List<ChaosFigures> Figures { get; } = [];

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
            throw new XunitException("chaos: the platform did not start: " + ex.Message);
        }
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        WriteTable();
        if (Platform is not null)
        {
            await Platform.DisposeAsync();
        }

        await Receiver.DisposeAsync();
    }

    /// <summary>All scenarios' rows in one table, for docs/reliability.md (each test prints its own row too).</summary>
    void WriteTable()
    {
        if (Figures.Count == 0)
        {
            return;
        }

        var file = Path.Combine(Mlops.Testing.PlatformInfrastructure.RepositoryRoot, ".local", "test-results", "chaos-figures.md");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllLines(file, [$"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC", "", ChaosFigures.Header, ChaosFigures.Rule, .. Figures.Select(f => f.Row())]);
    }
}
