namespace Mlops.Contracts.Models;

// The output contract between the exporter (training) and the server (inference): every binary classifier the
// platform exports names its outputs this way, and inference looks them up by these names only.
public static class ModelOutputNames
{
    public const string Features = "features";
    public const string Probability = "probability";
    public const string Uncertainty = "uncertainty";

    // Metadata key an exporter sets to "nan" when its graph treats NaN in an input as "missing" (trees route it,
    // linear models impute it), so the server may pass a feature the feature set computed as null instead of refusing.
    public const string MissingValuesMetadataKey = "mlops.missing_values";
    public const string MissingAsNaN = "nan";
}
