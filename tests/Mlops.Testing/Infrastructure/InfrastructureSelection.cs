namespace Mlops.Testing.Infrastructure;

/// <summary>
/// Chooses the test infrastructure from <c>MLOPS_TEST_INFRA</c>: <c>local</c>, <c>containers</c>, or <c>auto</c> (the
/// default) = containers when a Docker engine answers, local processes otherwise.
/// </summary>
public static class InfrastructureSelection
{
    /// <summary>The environment variable that overrides the choice.</summary>
    public const string Variable = "MLOPS_TEST_INFRA";

    /// <summary>
    /// The mode for a setting. <paramref name="dockerAnswers"/> is asked only for <c>auto</c>, so an explicit choice
    /// never waits for a probe.
    /// </summary>
    public static InfrastructureMode Select(string? setting, Func<bool> dockerAnswers)
    {
        ArgumentNullException.ThrowIfNull(dockerAnswers);
        return (setting?.Trim().ToLowerInvariant()) switch
        {
            null or "" or "auto" => dockerAnswers() ? InfrastructureMode.Containers : InfrastructureMode.Local,
            "local" => InfrastructureMode.Local,
            "containers" => InfrastructureMode.Containers,
            _ => throw new InvalidOperationException(
                $"{Variable}='{setting}' is not one of local, containers, auto."),
        };
    }

    /// <summary>The mode for this process: the variable, and for <c>auto</c> a ping of the Docker endpoint.</summary>
    public static InfrastructureMode FromEnvironment() =>
        Select(Environment.GetEnvironmentVariable(Variable), () => DockerEndpoint.FromEnvironment().Answers(TimeSpan.FromSeconds(2)));
}
