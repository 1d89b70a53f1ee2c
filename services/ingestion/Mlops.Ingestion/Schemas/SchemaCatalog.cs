using Microsoft.Extensions.Options;

namespace Mlops.Ingestion.Schemas;

/// <summary>Options holding the schemas by code, bound from <c>Ingestion:Schemas</c>.</summary>
public sealed class IngestionOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Ingestion";

    /// <summary>Schemas by observation code.</summary>
    public Dictionary<string, ObservationSchema> Schemas { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How far in the future an event time may lie (clock skew between senders and us).</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest batch accepted in one HTTP request.</summary>
    public int MaxBatchSize { get; set; } = 10_000;

    /// <summary>Upstream topic read by the Kafka intake.</summary>
    public string RawTopic { get; set; } = Contracts.Kafka.Topics.ObservationsRaw;

    /// <summary>Topic accepted observations are published to.</summary>
    public string AcceptedTopic { get; set; } = Contracts.Kafka.Topics.Observations;

    /// <summary>Topic refused Kafka records are written to, with their reasons.</summary>
    public string RejectedTopic { get; set; } = Contracts.Kafka.Topics.ObservationsRejected;
}

/// <summary>The observation codes ingestion knows, validated once at start-up.</summary>
public sealed class SchemaCatalog
{
    readonly Dictionary<string, ObservationSchema> _schemas;

    /// <summary>Builds the catalogue; throws naming the code when a schema is inconsistent.</summary>
    public SchemaCatalog(IOptions<IngestionOptions> options)
    {
        _schemas = new Dictionary<string, ObservationSchema>(StringComparer.Ordinal);
        foreach (var (code, schema) in options.Value.Schemas)
        {
            schema.Code = code;
            Check(schema);
            _schemas[code] = schema;
        }
    }

    /// <summary>All schemas, by code.</summary>
    public IReadOnlyDictionary<string, ObservationSchema> All => _schemas;

    /// <summary>Looks a code up.</summary>
    public bool TryGet(string code, out ObservationSchema schema) => _schemas.TryGetValue(code, out schema!);

    static void Check(ObservationSchema schema)
    {
        var problem = schema.ValueType switch
        {
            ObservationValueType.Numeric when string.IsNullOrWhiteSpace(schema.Unit) => "a numeric code needs a Unit",
            ObservationValueType.Numeric when schema.Min > schema.Max => "Min is above Max",
            ObservationValueType.Category when schema.Categories.Count == 0 => "a categorical code needs Categories",
            _ => null,
        };
        if (problem is not null)
        {
            throw new InvalidOperationException($"Observation schema '{schema.Code}': {problem}.");
        }
    }
}
