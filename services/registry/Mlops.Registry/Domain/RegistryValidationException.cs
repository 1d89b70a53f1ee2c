namespace Mlops.Registry.Domain;

/// <summary>A command was invalid against the model's state; nothing was recorded. Lists every problem by field.</summary>
public sealed class RegistryValidationException(IReadOnlyDictionary<string, string[]> errors)
    : Exception(string.Join("; ", errors.SelectMany(e => e.Value.Select(v => $"{e.Key}: {v}"))))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public static RegistryValidationException For(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>The model or version does not exist.</summary>
public sealed class RegistryNotFoundException(string message) : Exception(message);
