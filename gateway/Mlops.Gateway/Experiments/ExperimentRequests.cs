namespace Mlops.Gateway.Experiments;

/// <summary>Body of <c>POST /api/gateway/experiments</c>. The first arm is the control.</summary>
public sealed record CreateExperimentRequest(
    string? Name, string? ModelName, List<ArmRequest>? Arms, double? Alpha, double? MixingVariance, OutcomeRequest? Outcome = null);

/// <summary>Outcomes from monitoring's delayed-label join instead of posted counts.</summary>
public sealed record OutcomeRequest(string? Success, double? Threshold);

/// <summary>One arm to create.</summary>
public sealed record ArmRequest(string? Name, string? Variant, double? Weight);

/// <summary>Body of <c>POST /api/gateway/experiments/{id}/observations</c>: outcome counts to add, per arm.</summary>
public sealed record ObservationsRequest(List<ArmObservation>? Arms);

/// <summary>Units seen in an arm since the last batch and how many of them had the outcome.</summary>
public sealed record ArmObservation(string? Arm, long? Trials, long? Successes);

/// <summary>Query of <c>GET /api/gateway/experiments/sample-size</c>.</summary>
public sealed record SampleSizeAnswer(double Baseline, double Target, double Alpha, double Power, bool TwoSided, long PerArm);

/// <summary>Body of <c>POST /api/gateway/experiments/{id}/stop</c>: why it is stopped (kept with the experiment).</summary>
public sealed record StopExperimentRequest(string? Reason);
