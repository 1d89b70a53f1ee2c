using System.ComponentModel.DataAnnotations;

namespace Mlops.Monitoring.Webhooks;

/// <summary>How alerts are delivered to webhook subscribers (section <c>Monitoring:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Monitoring:Webhooks";

    /// <summary>How often due deliveries are looked for.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>One request's time limit; a timeout is retried.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Wait before the first retry; doubled for each further one, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The cap of the backoff.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts before a delivery that keeps failing transiently is given up.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Secrets shorter than this are refused (an HMAC key guessable by brute force signs nothing).</summary>
    [Range(8, 1024)]
    public int MinSecretLength { get; set; } = 16;

    /// <summary>The wait after <paramref name="attempts"/> failed attempts: BaseDelay · 2^(attempts − 1), capped.</summary>
    public TimeSpan DelayAfter(int attempts) =>
        TimeSpan.FromTicks((long)Math.Min(MaxDelay.Ticks, BaseDelay.Ticks * Math.Pow(2, Math.Max(0, attempts - 1))));
}
