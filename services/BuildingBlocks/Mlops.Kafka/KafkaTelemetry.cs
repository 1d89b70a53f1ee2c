using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Kafka;

/// <summary>Spans and metrics of the Kafka building block, following the OpenTelemetry messaging conventions.</summary>
public static class KafkaTelemetry
{
    /// <summary>Name of the activity source and meter.</summary>
    public const string Name = "Mlops.Kafka";

    /// <summary>Producer and consumer spans.</summary>
    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Produced = Meter.CreateCounter<long>("mlops.kafka.produced", "{record}", "Records acknowledged by the broker.");
    internal static readonly Counter<long> ProduceFailed = Meter.CreateCounter<long>("mlops.kafka.produce_failed", "{record}", "Records the broker did not acknowledge.");
    internal static readonly Counter<long> Consumed = Meter.CreateCounter<long>("mlops.kafka.consumed", "{record}", "Records handled successfully.");
    internal static readonly Counter<long> Retried = Meter.CreateCounter<long>("mlops.kafka.retried", "{attempt}", "Handler attempts that failed and were retried.");
    internal static readonly Counter<long> DependencyRetries = Meter.CreateCounter<long>("mlops.kafka.dependency_retries", "{attempt}", "Retries of the same records while the handler's dependency did not answer (consumer paused).");
    internal static readonly UpDownCounter<long> PausedConsumers = Meter.CreateUpDownCounter<long>("mlops.kafka.paused_consumers", "{consumer}", "Consumers paused while a dependency is down.");
    internal static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>("mlops.kafka.dead_lettered", "{record}", "Records sent to the dead-letter topic.");
    internal static readonly Counter<long> Replayed = Meter.CreateCounter<long>("mlops.kafka.deadletters_replayed", "{record}", "Dead letters re-published to their source topic.");
    internal static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("mlops.kafka.duplicates_skipped", "{record}", "Redelivered records whose event id was already processed.");
    internal static readonly Histogram<double> HandleDuration = Meter.CreateHistogram<double>("mlops.kafka.handle.duration", "s", "Time to handle one record, retries included.");
    internal static readonly Counter<long> ConsumerRestarts = Meter.CreateCounter<long>("mlops.kafka.consumer_restarts", "{restart}", "Consumers closed and recreated after an error their client could not recover from.");
    internal static readonly Counter<long> InboxPurged = Meter.CreateCounter<long>("mlops.kafka.inbox.purged", "{event}", "Applied event ids forgotten past the inbox retention.");
    internal static readonly Counter<long> Commits = Meter.CreateCounter<long>("mlops.kafka.commits", "{commit}", "Offset commits.");
}
