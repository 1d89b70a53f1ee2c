using System.Diagnostics;

namespace Mlops.Training.Tracking;

/// <summary>The code version recorded with every run: configuration, else the git commit at start-up, else "unknown".</summary>
public sealed class CodeVersion(string value)
{
    /// <summary>The version.</summary>
    public string Value { get; } = value;

    /// <summary>Resolves the version once.</summary>
    public static CodeVersion Resolve(string? configured, string contentRoot)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new CodeVersion(configured);
        }

        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["rev-parse", "HEAD"])
            {
                WorkingDirectory = contentRoot,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (git is not null)
            {
                var output = git.StandardOutput.ReadToEnd().Trim();
                git.WaitForExit();
                if (git.ExitCode == 0 && output.Length > 0)
                {
                    return new CodeVersion(output);
                }
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No git on this machine: the version stays unknown rather than failing start-up.
        }

        return new CodeVersion("unknown");
    }
}
