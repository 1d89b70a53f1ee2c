namespace Mlops.Monitoring.Retraining;

/// <summary>A step cannot be done and retrying will not change that (a 4xx from another service, no champion).</summary>
public sealed class RetrainingStepException(string message) : Exception(message);
