using Mlops.Testing.Infrastructure;

namespace Mlops.Testing.Tests.Infrastructure;

public class ContainerSettingsTests
{
    static readonly ContainerEndpoints Endpoints = new()
    {
        Host = "docker.example",
        PostgresPort = 32001,
        PostgresUser = "mlops",
        PostgresPassword = "0a1b",
        RabbitPort = 32002,
        RabbitManagementPort = 32003,
        RabbitUser = "mlops",
        RabbitPassword = "2c3d",
        KafkaBootstrap = "docker.example:32004",
    };

    [Fact]
    public void Build_HasEveryKeyOfThePlatformEnvFile()
    {
        // The env file infra.sh wrote (or, where containers run, the one written from Build itself).
        var fileKeys = File.ReadLines(PlatformInfrastructure.EnvFilePath)
            .Where(line => line.Contains('=', StringComparison.Ordinal) && !line.StartsWith('#'))
            .Select(line => line[..line.IndexOf('=', StringComparison.Ordinal)])
            .Where(key => !ContainerSettings.LocalOnlyKeys.Contains(key))
            .Order(StringComparer.Ordinal);

        var built = ContainerSettings.Build(Endpoints, "/cache").Select(l => l.Key).Order(StringComparer.Ordinal);

        Assert.Equal(fileKeys, built);
    }

    [Fact]
    public void Build_ConnectionSettings_PointAtTheContainers()
    {
        var settings = ContainerSettings.Build(Endpoints, "/cache").ToDictionary(l => l.Key, l => l.Value);

        Assert.Equal("Host=docker.example;Port=32001;Username=mlops;Password=0a1b;Database=platform_tests", settings["ConnectionStrings__tests"]);
        Assert.Equal("32002", settings["RabbitMq__Port"]);
        Assert.Equal("http://docker.example:32003", settings["RabbitMq__ManagementUrl"]);
        Assert.Equal("docker.example:32004", settings["Kafka__BootstrapServers"]);
        Assert.Equal("true", settings["Kafka__ApiVersionRequest"]);
    }

    [Fact]
    public void Render_OneKeyValueLineEach() =>
        Assert.Equal("A=1\nB=x;y=z\n", ContainerSettings.Render([new("A", "1"), new("B", "x;y=z")]));

    [Theory]
    [InlineData("PLAINTEXT://127.0.0.1:32771/", "127.0.0.1:32771")]
    [InlineData("127.0.0.1:32771", "127.0.0.1:32771")]
    public void HostAndPort_SchemeAndSlashDropped(string address, string expected) =>
        Assert.Equal(expected, ContainerInfrastructure.HostAndPort(address));
}
