namespace Mlops.Monitoring.Tests.Windows;

/// <summary>
/// Monitoring (<see cref="MonitoringAppFactory"/>, shipped configuration) with two models that have drift windows of
/// their own: <see cref="SmallCountModel"/> closes a count window every <see cref="SmallWindowSize"/> predictions and
/// <see cref="QuarterHourModel"/> cuts time windows of 15 minutes; every other model keeps the service-wide 2,000 and 1 h.
/// </summary>
public sealed class MonitoringWithModelWindows : IAsyncLifetime
{
    public const string SmallCountModel = "drift-small";
    public const int SmallWindowSize = 60;
    public const string QuarterHourModel = "drift-quarter";
    public static readonly TimeSpan QuarterHour = TimeSpan.FromMinutes(15);

    public MonitoringAppFactory Factory { get; } = new();

    public async Task InitializeAsync()
    {
        Factory.Settings[$"Monitoring:Drift:Models:{SmallCountModel}:WindowSize"] = SmallWindowSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Factory.Settings[$"Monitoring:Drift:Models:{QuarterHourModel}:WindowDuration"] = QuarterHour.ToString();
        await Factory.PrepareAsync();
        await Factory.StartServerAsync();
    }

    public Task DisposeAsync() => ((IAsyncLifetime)Factory).DisposeAsync();
}
