namespace Mlops.Kafka.Consuming;

/// <summary>A record whose value is not a readable envelope: where it came from, its bytes and what is wrong.</summary>
/// <param name="Context">Topic, partition, offset, key and group.</param>
/// <param name="Value">The value exactly as received (may be null, empty or not UTF-8).</param>
/// <param name="Problem">What is wrong; its inner <see cref="System.Text.Json.JsonException"/>, if any, gives the JSON path and position.</param>
public sealed record InvalidKafkaRecord(KafkaMessageContext Context, byte[]? Value, InvalidEnvelopeException Problem);
