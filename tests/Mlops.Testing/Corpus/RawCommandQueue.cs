using System.Text;
using System.Text.Json.Nodes;
using RabbitMQ.Client;

namespace Mlops.Testing.Corpus;

/// <summary>
/// Publishes raw bodies to a MassTransit command queue (through the exchange of the same name MassTransit binds to it)
/// and reads what MassTransit moved to the queue's <c>_error</c> queue, with the fault reason it recorded. Raw, so a
/// corpus can send what no serializer would: malformed JSON, wrong member types, invalid UTF-8.
/// </summary>
public sealed class RawCommandQueue : IAsyncDisposable
{
    /// <summary>MassTransit's JSON envelope content type.</summary>
    public const string EnvelopeContentType = "application/vnd.masstransit+json";

    readonly IConnection _connection;
    IChannel _channel;

    RawCommandQueue(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    /// <summary>Connects to <paramref name="virtualHost"/> with the platform's RabbitMQ settings.</summary>
    public static async Task<RawCommandQueue> ConnectAsync(string virtualHost)
    {
        var settings = PlatformInfrastructure.Configuration;
        var factory = new ConnectionFactory
        {
            HostName = settings["RabbitMq:Host"]!,
            Port = int.Parse(settings["RabbitMq:Port"] ?? "5672", System.Globalization.CultureInfo.InvariantCulture),
            UserName = settings["RabbitMq:Username"]!,
            Password = settings["RabbitMq:Password"]!,
            VirtualHost = virtualHost,
        };
        var connection = await factory.CreateConnectionAsync();
        return new RawCommandQueue(connection, await connection.CreateChannelAsync());
    }

    /// <summary>A MassTransit envelope around <paramref name="message"/> of the given message type URN.</summary>
    public static JsonObject Envelope(Guid messageId, string messageTypeUrn, string queue, JsonNode message) => new()
    {
        ["messageId"] = messageId.ToString(),
        ["conversationId"] = Guid.NewGuid().ToString(),
        ["sourceAddress"] = "rabbitmq://localhost/corpus",
        ["destinationAddress"] = $"rabbitmq://localhost/{queue}",
        ["messageType"] = new JsonArray(messageTypeUrn),
        ["message"] = message,
        ["sentTime"] = DateTimeOffset.UtcNow.ToString("O"),
        ["headers"] = new JsonObject(),
    };

    /// <summary>Publishes <paramref name="body"/> to <paramref name="queue"/>'s exchange with <paramref name="messageId"/> as the transport message id.</summary>
    public async Task PublishAsync(string queue, Guid messageId, byte[] body, string contentType = EnvelopeContentType)
    {
        var properties = new BasicProperties { ContentType = contentType, MessageId = messageId.ToString(), Persistent = true };
        await _channel.BasicPublishAsync(queue, "", false, properties, body);
    }

    /// <summary>
    /// Publishes a case, giving its envelope (when the body has one) and its transport the same new message id, so
    /// what answers it — an event whose InitiatorId is that id, or a fault on the error queue — can be matched to it.
    /// </summary>
    public async Task<Guid> PublishCaseAsync(string queue, BadInput c)
    {
        var id = Guid.NewGuid();
        const string member = "\"messageId\":\"";
        var text = Encoding.UTF8.GetString(c.Bytes);
        var at = text.IndexOf(member, StringComparison.Ordinal);
        var body = at < 0 || text.Length < at + member.Length + 36
            ? c.Bytes
            : Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, at + member.Length), id.ToString(), text.AsSpan(at + member.Length + 36)));
        await PublishAsync(queue, id, body, c.ContentType);
        return id;
    }

    /// <summary>Takes every message now in <paramref name="queue"/>'s error queue: transport message id → MassTransit's fault reason.</summary>
    public async Task<Dictionary<string, string>> DrainErrorsAsync(string queue)
    {
        var faults = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            BasicGetResult? message;
            try
            {
                message = await _channel.BasicGetAsync(queue + "_error", autoAck: true);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // No error queue yet (MassTransit declares it with the first fault): nothing faulted. The broker closed the channel.
                await _channel.DisposeAsync();
                _channel = await _connection.CreateChannelAsync();
                return faults;
            }

            if (message is null)
            {
                return faults;
            }

            var headers = message.BasicProperties.Headers ?? new Dictionary<string, object?>();
            var reason = string.Join(" | ", new[] { "MT-Fault-ExceptionType", "MT-Fault-Message", "MT-Reason" }
                .Where(headers.ContainsKey)
                .Select(h => headers[h] is byte[] bytes ? Encoding.UTF8.GetString(bytes) : headers[h]?.ToString()));
            faults[message.BasicProperties.MessageId ?? Guid.NewGuid().ToString()] = reason;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
