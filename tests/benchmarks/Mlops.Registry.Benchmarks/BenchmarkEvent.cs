namespace Mlops.Registry.Benchmarks;

/// <summary>A payload the size of a typical registry event (a few hundred bytes of JSON).</summary>
public sealed record MetricRecorded
{
    public required string Model { get; init; }
    public required string Version { get; init; }
    public required int Sequence { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    public required string Note { get; init; }

    public static MetricRecorded Sample(int sequence) => new()
    {
        Model = "deterioration-ews", Version = "1.4.0", Sequence = sequence,
        Metrics = new Dictionary<string, double> { ["auroc"] = 0.83, ["brier"] = 0.11, ["ece"] = 0.021, ["p99_latency_ms"] = 41.5 },
        Note = "weekly retrain on dataset ds-2026-11-01 with feature set fs-7, code abc1234",
    };
}
