namespace Mlops.Monitoring.Windows;

/// <summary>One prediction in a window: its output and the feature values it scored (empty when the vector never arrived).</summary>
public sealed record WindowSample(double Probability, DateTimeOffset PredictedAt, IReadOnlyDictionary<string, double> Features);
