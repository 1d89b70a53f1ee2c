using System.ComponentModel.DataAnnotations;

namespace Mlops.Messaging.Outbox;

/// <summary>How the saga outbox relay delivers, bound from <c>Messaging:SagaOutbox</c>.</summary>
public sealed class SagaOutboxOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Messaging:SagaOutbox";

    /// <summary>How often the relay looks for messages committed by other replicas (its own commits wake it at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most messages one relay claims per round (at most one per saga instance, to keep each instance's order).</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>First wait after a failed delivery; doubles per consecutive failure.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Cap of the wait between delivery attempts; a broker that stays down is retried at this pace forever.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for the broker to accept one message before the attempt counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long delivered outbox rows and inbox ids are kept (the inbox window for recognising a redelivery).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Whether the option values are coherent.</summary>
    public static bool IsValid(SagaOutboxOptions o) => o.RetryMinInterval <= o.RetryMaxInterval;
}
