namespace Mlops.Monitoring.Windows;

/// <summary>The window settings in force for one model: its own (<see cref="DriftModelOptions"/>) over the service-wide ones.</summary>
public sealed record DriftWindowSettings(int WindowSize, TimeSpan WindowDuration, int MinWindowSamples, double DatasetDriftShare);
