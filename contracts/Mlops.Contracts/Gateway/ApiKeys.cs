namespace Mlops.Contracts.Gateway;

/// <summary>
/// How a key reaches the gateway, named once for the gateway that checks it and for every client and service that sends
/// one (the CLI, the registry reading the gateway's shadow comparison).
/// </summary>
public static class ApiKeys
{
    /// <summary>The request header a key travels in.</summary>
    public const string Header = "X-Api-Key";

    /// <summary>
    /// The setting holding the platform's admin key: the gateway's bootstrap key, which the local setup writes to
    /// <c>.local/platform.env</c> and a deployment sets as an environment variable or secret.
    /// </summary>
    public const string PlatformKeySetting = "MLOPS_API_KEY";
}
