using System.Diagnostics;

namespace Mlops.Testing;

/// <summary>
/// Runs the built <c>mlops</c> command as a user does (<c>dotnet mlops.dll --gateway … &lt;arguments&gt;</c>), reading
/// the platform's key file as the shipped command does.
/// </summary>
public static class MlopsCli
{
    /// <summary>The command's exit code, standard output and standard error.</summary>
    public static async Task<(int Exit, string Output, string Error)> RunAsync(Uri gateway, TimeSpan timeout, params string[] arguments)
    {
        // The tests run from bin/<configuration>/net10.0: the command was built in the same configuration.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var cli = Path.Combine(PlatformInfrastructure.RepositoryRoot, "services/cli/Mlops.Cli/bin", configuration, "net10.0", "mlops.dll");
        if (!File.Exists(cli))
        {
            throw new FileNotFoundException($"{cli} was not built", cli);
        }

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[cli, "--gateway", gateway.ToString(), .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PLATFORM_ENV_FILE"] = PlatformInfrastructure.EnvFilePath;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mlops {string.Join(' ', arguments)} did not finish within {timeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
