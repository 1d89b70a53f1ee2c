using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Messaging.Outbox;

/// <summary>Traces and metrics of the saga outbox (source and meter <c>Mlops.Messaging.Outbox</c>).</summary>
public static class SagaOutboxTelemetry
{
    /// <summary>Activity source and meter name.</summary>
    public const string Name = "Mlops.Messaging.Outbox";

    /// <summary>One span per delivered message, a child of the handling that produced it.</summary>
    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    /// <summary>Messages written to the outbox with a saga's state.</summary>
    public static readonly Counter<long> Written = Meter.CreateCounter<long>("mlops.saga_outbox.written", "{message}");

    /// <summary>Messages the relay delivered to the broker.</summary>
    public static readonly Counter<long> Delivered = Meter.CreateCounter<long>("mlops.saga_outbox.delivered", "{message}");

    /// <summary>Failed delivery attempts (retried).</summary>
    public static readonly Counter<long> DeliveryFailures = Meter.CreateCounter<long>("mlops.saga_outbox.delivery_failures", "{attempt}");

    /// <summary>Inbound messages acknowledged without being applied because they already were.</summary>
    public static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("mlops.saga_inbox.duplicates", "{message}");
}
