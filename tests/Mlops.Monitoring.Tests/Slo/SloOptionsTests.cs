using Microsoft.Extensions.Configuration;
using Mlops.Monitoring.Slo;

namespace Mlops.Monitoring.Tests.Slo;

/// <summary>The SLO settings: the workbook's defaults, the shipped file, and what validation refuses.</summary>
public sealed class SloOptionsTests
{
    static (TimeSpan, TimeSpan, double, string)[] Shape(IEnumerable<BurnRateRule> rules) =>
        rules.Select(r => (r.LongWindow, r.ShortWindow, r.BurnRate, r.Severity)).ToArray();

    [Fact]
    public void EffectiveRules_NoneConfigured_TheWorkbooksFour()
    {
        var options = new SloOptions();

        Assert.Equal(
            [
                (TimeSpan.FromHours(1), TimeSpan.FromMinutes(5), 14.4, "page"),
                (TimeSpan.FromHours(6), TimeSpan.FromMinutes(30), 6.0, "page"),
                (TimeSpan.FromHours(24), TimeSpan.FromHours(2), 3.0, "ticket"),
                (TimeSpan.FromHours(72), TimeSpan.FromHours(6), 1.0, "ticket"),
            ],
            Shape(options.EffectiveRules));
        Assert.True(options.IsValid(out _));
        Assert.Equal(TimeSpan.FromHours(72) + TimeSpan.FromSeconds(15), options.Retention);
    }

    [Fact]
    public void Bind_ShippedSettings_WorkbookRulesAndInferenceAddress()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(ShippedSettings()).Build();
        var options = configuration.GetSection(SloOptions.Section).Get<SloOptions>()!;
        var monitoring = configuration.GetSection(MonitoringOptions.Section).Get<MonitoringOptions>()!;

        // The shipped list replaces the defaults rather than being appended to them.
        Assert.Equal(Shape(SloOptions.WorkbookRules), Shape(options.EffectiveRules));
        Assert.Equal((0.999, 250.0, 0.99, TimeSpan.FromSeconds(15)), (options.AvailabilityObjective, options.LatencyThresholdMs, options.LatencyObjective, options.ScrapeInterval));
        Assert.True(options.IsValid(out var problem), problem);
        Assert.Single(monitoring.InferenceBaseAddresses);
    }

    [Theory]
    [InlineData("AvailabilityObjective", "1")]
    [InlineData("LatencyObjective", "0")]
    [InlineData("LatencyThresholdMs", "-5")]
    [InlineData("ScrapeInterval", "00:00:00")]
    [InlineData("Rules:0:Severity", "sms")]
    [InlineData("Rules:0:ShortWindow", "02:00:00")]
    [InlineData("Rules:0:BurnRate", "0")]
    public void IsValid_BadSetting_RefusedNamingTheSection(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(ShippedSettings())
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{SloOptions.Section}:{key}"] = value }).Build();
        var options = configuration.GetSection(SloOptions.Section).Get<SloOptions>()!;

        Assert.False(options.IsValid(out var problem));
        Assert.StartsWith("Monitoring:Slo", problem, StringComparison.Ordinal);
    }

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
