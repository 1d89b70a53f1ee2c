using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace Mlops.ServiceDefaults.Configuration;

/// <summary>Adds the platform env file, and defaults a service ships beside its binaries, to configuration.</summary>
public static class EnvFileConfigurationExtensions
{
    /// <summary>
    /// Adds the platform env file (if one is found) just below the environment variables, so a variable set
    /// in the environment still wins over the file.
    /// </summary>
    public static IConfigurationBuilder AddPlatformEnvFile(this IConfigurationBuilder configuration, string startDirectory)
    {
        var path = EnvFile.Locate(startDirectory);
        if (path is null)
        {
            return configuration;
        }

        var source = new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = EnvFile.Read(path) };
        var environmentIndex = configuration.Sources.ToList().FindIndex(s => s is EnvironmentVariablesConfigurationSource);
        if (environmentIndex < 0)
        {
            configuration.Add(source);
        }
        else
        {
            configuration.Sources.Insert(environmentIndex, source);
        }

        return configuration;
    }

    /// <summary>
    /// Adds a JSON file the service ships in its output folder (e.g. observation schemas, feature definitions) as the
    /// lowest-priority source, so appsettings and environment variables can extend or override it.
    /// </summary>
    public static IConfigurationBuilder AddShippedDefaults(this IConfigurationBuilder configuration, string fileName)
    {
        configuration.Sources.Insert(0, new JsonConfigurationSource
        {
            Path = fileName,
            Optional = false,
            FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
        });
        return configuration;
    }
}
