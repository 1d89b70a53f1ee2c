using System.ComponentModel.DataAnnotations;

namespace Mlops.Kafka.Idempotency;

/// <summary>How long the inbox remembers applied event ids, bound from <c>Kafka:Inbox</c>.</summary>
public sealed class KafkaInboxOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Kafka:Inbox";

    /// <summary>
    /// How long an applied event id is remembered. A record can only be redelivered while its topic still holds it, so
    /// this must be at least the topics' retention (the broker's <c>log.retention.hours</c>, 7 days by default); the
    /// default adds a day for consumers that were stopped when a record expired.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(8);

    /// <summary>How often ids older than <see cref="Retention"/> are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(10);
}
