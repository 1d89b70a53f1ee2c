using System.Diagnostics;

namespace Mlops.Training.Algorithms;

/// <summary>Traces for the long-running fits; the platform listens to every <c>Mlops.*</c> source.</summary>
public static class TrainingTelemetry
{
    public const string SourceName = "Mlops.Training";

    public static readonly ActivitySource Source = new(SourceName);
}
