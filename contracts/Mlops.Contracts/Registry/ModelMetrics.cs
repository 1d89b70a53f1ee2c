namespace Mlops.Contracts.Registry;

/// <summary>Evaluation results of a model version on its held-out data.</summary>
public sealed record ModelMetrics
{
    /// <summary>Overall metrics by name (e.g. <c>auroc</c>, <c>brier</c>, <c>ece</c>, <c>p99_latency_ms</c>).</summary>
    public required IReadOnlyDictionary<string, double> Overall { get; init; }

    /// <summary>Metrics per subgroup (e.g. <c>age:65+</c> → <c>auroc</c> → 0.81).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Subgroups { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, double>>();

    /// <summary>Named checks and whether they passed (e.g. <c>leakage</c> → true).</summary>
    public IReadOnlyDictionary<string, bool> Checks { get; init; } = new Dictionary<string, bool>();

    /// <summary>Reliability curve: mean predicted probability against observed rate per bin.</summary>
    public IReadOnlyList<CalibrationBin> Calibration { get; init; } = [];
}

/// <summary>One bin of a reliability curve.</summary>
public sealed record CalibrationBin
{
    /// <summary>Mean predicted probability in the bin.</summary>
    public required double MeanPredicted { get; init; }

    /// <summary>Observed positive rate in the bin.</summary>
    public required double ObservedRate { get; init; }

    /// <summary>Number of examples in the bin.</summary>
    public required long Count { get; init; }
}
