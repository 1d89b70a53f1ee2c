namespace Mlops.ServiceDefaults.Configuration;

/// <summary>
/// Reads the platform env file written by <c>infra/local/infra.sh</c>: <c>KEY=VALUE</c> lines where
/// <c>__</c> separates configuration sections, the same convention as environment variables.
/// </summary>
public static class EnvFile
{
    /// <summary>Environment variable that points at the env file explicitly.</summary>
    public const string PathVariable = "PLATFORM_ENV_FILE";

    /// <summary>Where the local infrastructure script writes the file, relative to the repository root.</summary>
    public const string RelativeLocation = ".local/platform.env";

    /// <summary>Parses the file into configuration keys (<c>__</c> becomes <c>:</c>).</summary>
    public static Dictionary<string, string?> Read(string path)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var rawLine in File.ReadLines(path))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var separator = line.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                throw new FormatException($"Line '{line}' in {path} is not KEY=VALUE.");
            }

            var key = line[..separator].Trim().Replace("__", ":", StringComparison.Ordinal);
            values[key] = line[(separator + 1)..].Trim();
        }

        return values;
    }

    /// <summary>
    /// Finds the env file: <see cref="PathVariable"/> when set, otherwise the nearest
    /// <see cref="RelativeLocation"/> above <paramref name="startDirectory"/>. Returns null when there is none,
    /// which is normal in containers where settings come from the environment alone.
    /// </summary>
    public static string? Locate(string startDirectory)
    {
        var explicitPath = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return File.Exists(explicitPath)
                ? explicitPath
                : throw new FileNotFoundException($"{PathVariable} points at '{explicitPath}', which does not exist.");
        }

        for (var directory = new DirectoryInfo(startDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, RelativeLocation);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
