namespace Mlops.Training.Pipeline;

/// <summary>A feature ValidateData left out of the run, and why.</summary>
public sealed record ExcludedFeature(string Name, double MissingRate, string Reason);

/// <summary>What ValidateData found (the run's <c>data-validation.json</c> artifact).</summary>
public sealed record DataValidationReport
{
    public required int Rows { get; init; }
    public required int Positives { get; init; }
    public required double MinorityFraction { get; init; }
    public required string FeatureSetVersion { get; init; }

    /// <summary>The run's feature request (names or patterns); empty means every feature of the training set.</summary>
    public required IReadOnlyList<string> RequestedFeatures { get; init; }

    /// <summary>Missing rate of every feature the request selected.</summary>
    public required IReadOnlyDictionary<string, double> MissingRates { get; init; }

    /// <summary>The features the model is trained on, in input order.</summary>
    public required IReadOnlyList<string> FeaturesUsed { get; init; }

    /// <summary>Selected features left out, with the reason.</summary>
    public required IReadOnlyList<ExcludedFeature> ExcludedFeatures { get; init; }

    /// <summary>What the rows were built from (a dataset version and its label cut, or the live store); absent in reports written before it was recorded.</summary>
    public Data.TrainingSetOrigin? Source { get; init; }
}
