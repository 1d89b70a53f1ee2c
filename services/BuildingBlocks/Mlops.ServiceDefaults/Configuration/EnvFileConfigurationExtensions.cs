using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Mlops.ServiceDefaults.Configuration;

/// <summary>Adds the platform env file to configuration.</summary>
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
}
