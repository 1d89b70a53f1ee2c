using Mlops.Contracts;

namespace Mlops.EventStore.Tests;

[EventType("tests.thing-happened.v1")]
public sealed record ThingHappened
{
    public required string Name { get; init; }
    public int Amount { get; init; }
}

[EventType("tests.thing-renamed.v1")]
public sealed record ThingRenamed
{
    public required string NewName { get; init; }
}

/// <summary>The first shape of a measurement: one value in centimetres.</summary>
public sealed record LengthMeasuredV1
{
    public required double Centimetres { get; init; }
}

/// <summary>The current shape: metres and a unit label, read from old events through an upcaster.</summary>
public sealed record LengthMeasured
{
    public required double Metres { get; init; }
    public required string Unit { get; init; }
}
