using MassTransit;
using Mlops.Contracts.Training;

namespace Mlops.Training.Pipeline;

/// <summary>A training run's pipeline state; the current state's name is the step being run (or the outcome).</summary>
public sealed class TrainingRunState : SagaStateMachineInstance, ISagaVersion
{
    public Guid CorrelationId { get; set; }

    public int Version { get; set; }

    public string CurrentState { get; set; } = "";

    public StartTrainingRun? Request { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public string? ArtifactSha256 { get; set; }

    /// <summary>When the Register step reported <c>RegisterModelVersion</c> sent (the confirmation timeout runs from here).</summary>
    public DateTimeOffset? RegistrationSentAt { get; set; }

    public string? FailedStep { get; set; }

    public string? Reason { get; set; }

    public string? CancelledBy { get; set; }
}
