namespace Mlops.Features.Labels;

/// <summary>How labels taken over HTTP reach the labels topic (<c>Features:LabelPublishing</c>).</summary>
public sealed class LabelPublishingOptions
{
    public const string Section = "Features:LabelPublishing";

    /// <summary>Longest wait between looks for pending labels when nothing signals (another replica took them).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most labels published per round.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Longest pause after the database or broker failed, doubling from a quarter second.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    public static bool IsValid(LabelPublishingOptions o) =>
        o.Interval > TimeSpan.Zero && o.BatchSize is > 0 and <= 10_000 && o.MaxRetryDelay > TimeSpan.Zero;
}
