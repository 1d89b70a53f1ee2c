using Mlops.Testing.Infrastructure;

namespace Mlops.Testing.Tests.Infrastructure;

public class InfrastructureSelectionTests
{
    static bool ProbeMustNotRun() => throw new InvalidOperationException("the Docker probe ran for an explicit choice");

    [Theory]
    [InlineData("local")]
    [InlineData("LOCAL")]
    [InlineData(" local ")]
    public void Select_Local_LocalWithoutProbing(string setting) =>
        Assert.Equal(InfrastructureMode.Local, InfrastructureSelection.Select(setting, ProbeMustNotRun));

    [Fact]
    public void Select_Containers_ContainersWithoutProbing() =>
        Assert.Equal(InfrastructureMode.Containers, InfrastructureSelection.Select("containers", ProbeMustNotRun));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("auto")]
    [InlineData("Auto")]
    public void Select_AutoWithDockerAnswering_Containers(string? setting) =>
        Assert.Equal(InfrastructureMode.Containers, InfrastructureSelection.Select(setting, () => true));

    [Theory]
    [InlineData(null)]
    [InlineData("auto")]
    public void Select_AutoWithoutDocker_Local(string? setting) =>
        Assert.Equal(InfrastructureMode.Local, InfrastructureSelection.Select(setting, () => false));

    [Fact]
    public void Select_UnknownValue_ThrowsNamingVariableAndChoices()
    {
        var error = Assert.Throws<InvalidOperationException>(() => InfrastructureSelection.Select("docker", () => true));
        Assert.Contains("MLOPS_TEST_INFRA='docker'", error.Message, StringComparison.Ordinal);
        Assert.Contains("local, containers, auto", error.Message, StringComparison.Ordinal);
    }
}
