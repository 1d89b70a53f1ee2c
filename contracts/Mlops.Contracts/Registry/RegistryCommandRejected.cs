namespace Mlops.Contracts.Registry;

/// <summary>A command sent to the registry over the bus was invalid and changed nothing.</summary>
[EventType("mlops.registry.command-rejected.v1")]
public sealed record RegistryCommandRejected
{
    /// <summary>The command's message type name (e.g. <c>RegisterModelVersion</c>).</summary>
    public required string Command { get; init; }

    /// <summary>Model the command was about.</summary>
    public required string ModelName { get; init; }

    /// <summary>Every problem found.</summary>
    public required IReadOnlyList<string> Errors { get; init; }

    /// <summary>
    /// Training run that sent the command (<c>RegisterModelVersion.TrainingRunId</c>), so its pipeline can fail with
    /// the registry's reason; null for other commands and for senders older than this member.
    /// </summary>
    public string? TrainingRunId { get; init; }
}
