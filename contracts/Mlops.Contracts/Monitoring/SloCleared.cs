namespace Mlops.Contracts.Monitoring;

/// <summary>
/// A model version's <see cref="SloBreached"/> is over (MassTransit event): no rule of that kind and severity fires any
/// more — the burning stopped, or the model's objective was changed so that its windows now meet it. Raised once per
/// breach raised; <see cref="AlertId"/> is stable across redeliveries, so a consumer deduplicates on it.
/// </summary>
[EventType("mlops.monitoring.slo-cleared.v1")]
public sealed record SloCleared
{
    /// <summary>Unique id of this event.</summary>
    public required Guid AlertId { get; init; }

    /// <summary>The <see cref="SloBreached.AlertId"/> of the breach this ends.</summary>
    public required Guid BreachAlertId { get; init; }

    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Model version whose SLO recovered.</summary>
    public required string ModelVersion { get; init; }

    /// <summary><c>availability</c> or <c>latency</c>.</summary>
    public required string Kind { get; init; }

    /// <summary><c>page</c> or <c>ticket</c>, as the breach was.</summary>
    public required string Severity { get; init; }

    /// <summary>The objective in force when the breach cleared.</summary>
    public required double Objective { get; init; }

    /// <summary>For <c>latency</c>: the histogram bound requests are now held to, in milliseconds; null for availability.</summary>
    public double? LatencyThresholdMs { get; init; }

    /// <summary>When the breach was raised.</summary>
    public required DateTimeOffset BreachedAt { get; init; }

    /// <summary>Evidence, from the severity's first rule (as <see cref="SloBreached"/> gives it): the burn rate both windows would have to exceed.</summary>
    public required double BurnRateThreshold { get; init; }

    /// <summary>Length of that rule's long window.</summary>
    public required TimeSpan LongWindow { get; init; }

    /// <summary>Length of that rule's short window.</summary>
    public required TimeSpan ShortWindow { get; init; }

    /// <summary>Burn rate over the long window now; null when it counted no requests.</summary>
    public double? LongBurnRate { get; init; }

    /// <summary>Burn rate over the short window now; null when it counted no requests.</summary>
    public double? ShortBurnRate { get; init; }

    /// <summary>When monitoring found no rule of the severity firing.</summary>
    public required DateTimeOffset ClearedAt { get; init; }
}
