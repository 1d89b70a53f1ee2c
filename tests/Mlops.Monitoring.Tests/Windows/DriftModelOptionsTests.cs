using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mlops.Monitoring.Windows;

namespace Mlops.Monitoring.Tests.Windows;

/// <summary>A model's own window settings (<c>Monitoring:Drift:Models:{model}</c>): how they resolve and what validation refuses.</summary>
public sealed class DriftModelOptionsTests
{
    [Fact]
    public void For_ModelSettingSomeValues_ItsOwnValuesElseTheServiceWideOnes()
    {
        var options = Bind(new()
        {
            ["Models:low-traffic:WindowSize"] = "200",
            ["Models:low-traffic:WindowDuration"] = "00:15:00",
        });

        Assert.Equal(new DriftWindowSettings(200, TimeSpan.FromMinutes(15), 30, 0.5), options.For("low-traffic"));
        Assert.Equal(new DriftWindowSettings(2000, TimeSpan.FromHours(1), 30, 0.5), options.For("other"));
        // Model names are compared exactly, as the predictions' names are in the database.
        Assert.Equal(2000, options.For("Low-Traffic").WindowSize);
        Assert.True(options.IsValid(out var problem), problem);
    }

    [Fact]
    public void Bind_ShippedSettings_NoModelOfItsOwnAndValid()
    {
        var options = Bind([]);

        Assert.Empty(options.Models);
        Assert.True(options.IsValid(out var problem), problem);
    }

    [Fact]
    public void AnyCountWindows_ServiceWideOffButOneModelOn_True()
    {
        var options = Bind(new() { ["WindowSize"] = "0", ["Models:busy:WindowSize"] = "5000" });

        Assert.True(options.AnyCountWindows);
        Assert.Equal(0, options.For("other").WindowSize);
        Assert.True(options.IsValid(out var problem), problem);
    }

    [Theory]
    [InlineData("WindowSize", "-1", "Monitoring:Drift:Models:tiny:WindowSize")]
    [InlineData("WindowSize", "2000000", "Monitoring:Drift:Models:tiny:WindowSize")]
    [InlineData("WindowSize", "10", "Monitoring:Drift:Models:tiny:WindowSize 10 is below MinWindowSamples 30")]
    [InlineData("WindowDuration", "-00:05:00", "Monitoring:Drift:Models:tiny:WindowDuration")]
    [InlineData("MinWindowSamples", "0", "Monitoring:Drift:Models:tiny:MinWindowSamples")]
    [InlineData("DatasetDriftShare", "1.5", "Monitoring:Drift:Models:tiny:DatasetDriftShare")]
    [InlineData("DatasetDriftShare", "NaN", "Monitoring:Drift:Models:tiny:DatasetDriftShare")]
    public void IsValid_BadModelSetting_RefusedNamingTheModelAndSetting(string setting, string value, string expected)
    {
        var options = Bind(new() { ["Models:fine:WindowSize"] = "500", [$"Models:tiny:{setting}"] = value });

        Assert.False(options.IsValid(out var problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void IsValid_ModelTurningOffBothWindowKinds_RefusedNamingTheModel()
    {
        var options = Bind(new() { ["Models:silent:WindowSize"] = "0", ["Models:silent:WindowDuration"] = "00:00:00" });

        Assert.False(options.IsValid(out var problem));
        Assert.StartsWith("Monitoring:Drift:Models:silent turns off both", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AddDriftOptions_BadModelSetting_StartRefusedWithTheProblemNamingTheModelAndSetting()
    {
        var configuration = Configuration(new() { ["Models:tiny:WindowSize"] = "-5" });
        var services = new ServiceCollection().AddSingleton(configuration);
        services.AddDriftOptions();
        using var provider = services.BuildServiceProvider();

        // What ValidateOnStart runs when the host starts.
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Monitoring:Drift:Models:tiny:WindowSize must lie within 0–1,000,000", error.Message, StringComparison.Ordinal);
    }

    static DriftOptions Bind(Dictionary<string, string?> settings) =>
        Configuration(settings).GetSection(DriftOptions.Section).Get<DriftOptions>()!;

    // The shipped file with the test's settings over it, as the service reads them.
    static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddJsonFile(ShippedSettings())
            .AddInMemoryCollection(settings.ToDictionary(kv => $"{DriftOptions.Section}:{kv.Key}", kv => kv.Value)).Build();

    static string ShippedSettings()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Microservices.sln")))
            {
                return Path.Combine(dir.FullName, "services", "monitoring", "Mlops.Monitoring", "appsettings.json");
            }
        }

        throw new InvalidOperationException("Microservices.sln not found above " + AppContext.BaseDirectory);
    }
}
