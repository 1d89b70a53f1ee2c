using System.Diagnostics;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Chaos;

/// <summary>
/// Stops and starts parts of the local infrastructure through the project's own script
/// (<c>infra/local/infra.sh stop|start postgres|rabbitmq|zookeeper|kafka</c>), so the faults are the ones an operator
/// causes. The script reads the same MLOPS_* variables as <c>infra.sh up</c>, so a developer's private instance is hit,
/// never someone else's.
/// </summary>
public static class InfrastructureFaults
{
    public static Task StopAsync(string part) => RunAsync("stop", part);

    public static Task StartAsync(string part) => RunAsync("start", part);

    static async Task RunAsync(string action, string part)
    {
        var script = Path.Combine(PlatformInfrastructure.RepositoryRoot, "infra", "local", "infra.sh");
        var start = new ProcessStartInfo("bash", [script, action, part])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + script);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"infra.sh {action} {part} failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        }
    }
}
