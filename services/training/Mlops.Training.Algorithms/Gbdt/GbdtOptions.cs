namespace Mlops.Training.Algorithms.Gbdt;

/// <summary>Settings of histogram gradient boosting for binary log-loss.</summary>
public sealed record GbdtOptions
{
    public int Rounds { get; init; } = 100;

    public double LearningRate { get; init; } = 0.1;

    public int MaxLeaves { get; init; } = 31;

    /// <summary>0 = unlimited (leaf count bounds the tree).</summary>
    public int MaxDepth { get; init; }

    public int MinSamplesLeaf { get; init; } = 20;

    public double MinHessianLeaf { get; init; } = 1e-3;

    public double L2Regularization { get; init; }

    /// <summary>Fraction of rows drawn without replacement for each tree (1 = all).</summary>
    public double RowSubsample { get; init; } = 1.0;

    /// <summary>Fraction of features each tree may split on (1 = all).</summary>
    public double ColumnSubsample { get; init; } = 1.0;

    public int MaxBins { get; init; } = BinMapper.MaxValueBins;

    /// <summary>Stop when validation log-loss has not improved by <see cref="EarlyStoppingTolerance"/> for this many rounds; 0 = off.</summary>
    public int EarlyStoppingRounds { get; init; }

    public double EarlyStoppingTolerance { get; init; } = 1e-7;

    public int Seed { get; init; }

    /// <summary>Use both cores inside one fit (off when an ensemble already runs fits in parallel).</summary>
    public bool Parallel { get; init; } = true;

    public void Validate()
    {
        var errors = new List<string>();
        if (Rounds < 1) errors.Add($"{nameof(Rounds)} must be ≥ 1");
        if (LearningRate is <= 0 or > 1) errors.Add($"{nameof(LearningRate)} must be in (0, 1]");
        if (MaxLeaves < 2) errors.Add($"{nameof(MaxLeaves)} must be ≥ 2");
        if (MaxDepth < 0) errors.Add($"{nameof(MaxDepth)} must be ≥ 0");
        if (MinSamplesLeaf < 1) errors.Add($"{nameof(MinSamplesLeaf)} must be ≥ 1");
        if (L2Regularization < 0) errors.Add($"{nameof(L2Regularization)} must be ≥ 0");
        if (RowSubsample is <= 0 or > 1) errors.Add($"{nameof(RowSubsample)} must be in (0, 1]");
        if (ColumnSubsample is <= 0 or > 1) errors.Add($"{nameof(ColumnSubsample)} must be in (0, 1]");
        if (MaxBins is < 2 or > BinMapper.MaxValueBins) errors.Add($"{nameof(MaxBins)} must be in [2, {BinMapper.MaxValueBins}]");
        if (EarlyStoppingRounds < 0) errors.Add($"{nameof(EarlyStoppingRounds)} must be ≥ 0");
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid boosting options: " + string.Join("; ", errors));
        }
    }
}
