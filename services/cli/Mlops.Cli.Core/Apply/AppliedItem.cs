namespace Mlops.Cli.Core.Apply;

/// <summary>How one registration went.</summary>
public enum ApplyStatus
{
    /// <summary>A new version was registered (201).</summary>
    Created,

    /// <summary>The same definition was already the one in use (200).</summary>
    Unchanged,

    /// <summary>The service refused it; <see cref="AppliedItem.Problems"/> says why.</summary>
    Refused,
}

/// <summary>One schema or feature set sent by <c>mlops apply</c>, with the service's answer.</summary>
/// <param name="Kind"><c>schema</c> or <c>feature set</c>.</param>
/// <param name="Name">The code or set name.</param>
/// <param name="Status">What happened.</param>
/// <param name="Version">The version in use afterwards (schemas: a number, sets: name + content hash).</param>
/// <param name="Problems">Every field problem from the ProblemDetails when refused, as <c>field: message</c>.</param>
public sealed record AppliedItem(string Kind, string Name, ApplyStatus Status, string? Version, IReadOnlyList<string> Problems);
