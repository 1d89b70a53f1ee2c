using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Rendering;
using Mlops.Contracts.Gateway;
using Mlops.ServiceDefaults.Configuration;

namespace Mlops.Cli;

/// <summary>What every command needs: the gateway client and, for Kafka, the platform's connection settings.</summary>
public sealed class CliContext : IDisposable
{
    /// <summary><c>--gateway</c>, else <c>MLOPS_GATEWAY</c>, else the shipped gateway port.</summary>
    public static readonly Option<string> GatewayOption = new("--gateway")
    {
        Description = "Gateway address (default: MLOPS_GATEWAY or " + GatewayClient.DefaultAddress + ")",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MLOPS_GATEWAY") is { Length: > 0 } g ? g : GatewayClient.DefaultAddress,
    };

    /// <summary><c>--api-key</c>, else <c>MLOPS_API_KEY</c> from the environment, else from the platform env file.</summary>
    public static readonly Option<string?> ApiKeyOption = new("--api-key")
    {
        Description = "API key sent as X-Api-Key (default: MLOPS_API_KEY from the environment or .local/platform.env)",
        Recursive = true,
    };

    /// <summary>Name of the setting holding the key, in the environment or the env file the local setup writes.</summary>
    public const string ApiKeySetting = ApiKeys.PlatformKeySetting;

    // The env file above the working directory, else the one of the repository the command was built in.
    readonly Lazy<IConfiguration> _configuration = new(() => new ConfigurationBuilder()
        .AddEnvironmentVariables()
        .AddPlatformEnvFile(EnvFile.Locate(Directory.GetCurrentDirectory()) is null ? AppContext.BaseDirectory : Directory.GetCurrentDirectory())
        .Build());

    CliContext(Uri gateway, string? apiKey) =>
        Client = new GatewayClient(gateway, string.IsNullOrWhiteSpace(apiKey) ? Configuration[ApiKeySetting] : apiKey);

    /// <summary>The gateway client (sends <c>X-Api-Key</c> when a key is given or configured).</summary>
    public GatewayClient Client { get; }

    /// <summary>Environment variables over the platform env file (<c>PLATFORM_ENV_FILE</c>, or <c>.local/platform.env</c> above the working directory or the command).</summary>
    public IConfiguration Configuration => _configuration.Value;

    /// <summary>Wraps a command body: API problems and unreachable gateways become readable messages and exit codes.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Action(Func<CliContext, ParseResult, CancellationToken, Task<int>> body) =>
        async (parse, ct) =>
        {
            var address = parse.GetValue(GatewayOption)!;
            if (!Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var gateway))
            {
                Ui.Error($"--gateway '{address}' is not an absolute URL");
                return 2;
            }

            using var context = new CliContext(gateway, parse.GetValue(ApiKeyOption));
            try
            {
                return await body(context, parse, ct);
            }
            catch (ApiProblem problem)
            {
                Ui.Error(problem.Message);
                return 1;
            }
            catch (HttpRequestException ex)
            {
                Ui.Error($"cannot reach the gateway at {gateway}: {ex.Message}. Is the platform up (./platform.sh up)?");
                return 2;
            }
            catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
            {
                Ui.Error($"the gateway at {gateway} did not answer in time: {ex.Message}");
                return 2;
            }
            catch (Exception ex) when (ex is FormatException or IOException or InvalidOperationException)
            {
                Ui.Error(ex.Message);
                return 1;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Ui.Error("cancelled");
                return 130;
            }
        };

    /// <inheritdoc />
    public void Dispose() => Client.Dispose();
}
