using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mlops.Messaging.Sagas;

/// <summary>Serialises saga instances to JSONB and reads their current state name.</summary>
internal static class SagaStateSerializer<TSaga>
{
    public static readonly JsonSerializerOptions Options = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    static readonly Func<TSaga, object?>? CurrentStateGetter = CreateCurrentStateGetter();

    public static string Serialize(TSaga saga) => JsonSerializer.Serialize(saga, Options);

    public static TSaga Deserialize(string json) =>
        JsonSerializer.Deserialize<TSaga>(json, Options) ?? throw new JsonException($"Stored {typeof(TSaga).Name} state is JSON null.");

    public static string? CurrentState(TSaga saga) => CurrentStateGetter?.Invoke(saga)?.ToString();

    static Func<TSaga, object?>? CreateCurrentStateGetter()
    {
        var property = typeof(TSaga).GetProperty("CurrentState", BindingFlags.Public | BindingFlags.Instance);
        if (property?.GetMethod is null)
        {
            return null;
        }

        var instance = Expression.Parameter(typeof(TSaga));
        var body = Expression.Convert(Expression.Property(instance, property), typeof(object));
        return Expression.Lambda<Func<TSaga, object?>>(body, instance).Compile();
    }
}
