namespace Mlops.Contracts.Models;

// The output contract between the exporter (training) and the server (inference): every binary classifier the
// platform exports names its outputs this way, and inference looks them up by these names only.
public static class ModelOutputNames
{
    public const string Features = "features";
    public const string Probability = "probability";
    public const string Uncertainty = "uncertainty";
}
