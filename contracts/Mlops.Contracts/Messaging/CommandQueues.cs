using System.Text.RegularExpressions;

namespace Mlops.Contracts.Messaging;

/// <summary>
/// The one queue-naming convention for commands sent over MassTransit: a command's queue is its type name in kebab
/// case (<c>RegisterModelVersion</c> → <c>register-model-version</c>). The owner's consumer listens there and every
/// sender sends there, both through this class, so the two cannot drift apart.
/// </summary>
public static partial class CommandQueues
{
    /// <summary>The queue of command <typeparamref name="TCommand"/>.</summary>
    public static string NameOf<TCommand>() where TCommand : class => NameOf(typeof(TCommand));

    /// <summary>The queue of a command type.</summary>
    public static string NameOf(Type command) => WordBoundary().Replace(command.Name, "-").ToLowerInvariant();

    /// <summary>The MassTransit send address (<c>queue:{name}</c>) of command <typeparamref name="TCommand"/>.</summary>
    public static Uri AddressOf<TCommand>() where TCommand : class => new($"queue:{NameOf<TCommand>()}");

    // Between a lower-case letter or digit and an upper-case one, and inside an acronym before its last capital ("ONNXModel" → "onnx-model").
    [GeneratedRegex("(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")]
    private static partial Regex WordBoundary();
}
