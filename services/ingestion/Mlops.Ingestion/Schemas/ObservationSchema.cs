using System.Text.Json.Serialization;

namespace Mlops.Ingestion.Schemas;

/// <summary>Whether an observation carries a number or one of a fixed set of categories (by name in JSON, as in configuration).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ObservationValueType>))]
public enum ObservationValueType
{
    /// <summary>A measured number, converted to the canonical unit and range-checked.</summary>
    Numeric,

    /// <summary>One of <see cref="ObservationSchema.Categories"/>; stored as its ordinal.</summary>
    Category,
}

/// <summary>A linear conversion to the canonical unit: <c>canonical = value × Factor + Offset</c>.</summary>
public sealed class UnitConversion
{
    /// <summary>Multiplier.</summary>
    public double Factor { get; set; } = 1;

    /// <summary>Added after multiplying (e.g. −160/9 for °F → °C).</summary>
    public double Offset { get; set; }

    /// <summary>Converts a value.</summary>
    public double Apply(double value) => value * Factor + Offset;
}

/// <summary>What an observation code must look like. Declared in configuration (<c>Ingestion:Schemas:{code}</c>).</summary>
public sealed class ObservationSchema
{
    /// <summary>The code (the configuration key).</summary>
    public string Code { get; set; } = "";

    /// <summary>Human-readable name.</summary>
    public string? Display { get; set; }

    /// <summary>Entity type observations of this code are about.</summary>
    public string EntityType { get; set; } = "patient";

    /// <summary>Number or category.</summary>
    public ObservationValueType ValueType { get; set; } = ObservationValueType.Numeric;

    /// <summary>Canonical unit values are stored in (numeric codes).</summary>
    public string Unit { get; set; } = "";

    /// <summary>Other accepted units and how to convert them to <see cref="Unit"/>.</summary>
    public Dictionary<string, UnitConversion> Conversions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Lowest plausible value, in the canonical unit.</summary>
    public double? Min { get; set; }

    /// <summary>Highest plausible value, in the canonical unit.</summary>
    public double? Max { get; set; }

    /// <summary>Allowed categories in order (categorical codes); the ordinal is the stored value.</summary>
    public List<string> Categories { get; set; } = [];

    /// <summary>Every unit accepted for this code, canonical first.</summary>
    public IEnumerable<string> AcceptedUnits => new[] { Unit }.Concat(Conversions.Keys);
}
