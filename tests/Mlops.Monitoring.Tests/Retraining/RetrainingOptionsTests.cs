using Microsoft.Extensions.Configuration;
using Mlops.Monitoring.Retraining;

namespace Mlops.Monitoring.Tests.Retraining;

/// <summary>The shipped retraining options and what their validation refuses.</summary>
public sealed class RetrainingOptionsTests
{
    static RetrainingOptions Shipped() =>
        new ConfigurationBuilder().AddJsonFile(ShippedSettings.Path).Build().GetSection(RetrainingOptions.Section).Get<RetrainingOptions>()!;

    [Fact]
    public void Shipped_Options_AreValidWithDegradationOnAndDriftOff()
    {
        var options = Shipped();

        Assert.True(RetrainingOptions.IsValid(options));
        Assert.True(options.Models["deterioration"].OnDegradation);
        Assert.False(options.Models["deterioration"].OnDrift);
        Assert.Null(options.Models["deterioration"].Schedule);
        Assert.Equal(0.0, options.MinAurocGain);
        Assert.Equal([10, 50, 100], options.Rollout.Steps);
    }

    [Theory]
    [InlineData("0 0 3 ? * SUN", true)]
    [InlineData("0 */15 * * * ?", true)]
    [InlineData("every sunday", false)]
    [InlineData("0 0 25 * * ?", false)]
    public void Schedule_QuartzCron_ValidatedAtStart(string cron, bool valid)
    {
        var options = Shipped();
        options.Models["deterioration"].Schedule = cron;

        Assert.Equal(valid, RetrainingOptions.IsValid(options));
    }

    [Fact]
    public void Rollout_StepsNotRising_Refused()
    {
        var options = Shipped();
        options.Rollout.Steps = [50, 10];

        Assert.False(RetrainingOptions.IsValid(options));
    }

    [Fact]
    public void TimeZone_Unknown_Refused()
    {
        var options = Shipped();
        options.Models["deterioration"].TimeZone = "Mars/Olympus_Mons";

        Assert.False(RetrainingOptions.IsValid(options));
    }
}

/// <summary>The monitoring service's shipped appsettings.json, read from the repository.</summary>
internal static class ShippedSettings
{
    public static string Path { get; } = System.IO.Path.Combine(Mlops.Testing.PlatformInfrastructure.RepositoryRoot, "services", "monitoring", "Mlops.Monitoring", "appsettings.json");
}
