using Mlops.ServiceDefaults.Http;

namespace Mlops.Ingestion.Schemas;

/// <summary>What makes an observation schema usable, shared by the configured catalogue (start-up) and run-time registration (400).</summary>
public static class SchemaRules
{
    /// <summary>Longest code accepted at registration.</summary>
    public const int MaxCodeLength = 100;

    /// <summary>Every problem, as (field, message) with camelCase field names as in the JSON; empty when usable.</summary>
    public static List<(string Field, string Message)> Check(ObservationSchema schema)
    {
        var problems = new List<(string, string)>();
        if (schema.ValueType == ObservationValueType.Numeric)
        {
            if (string.IsNullOrWhiteSpace(schema.Unit))
            {
                problems.Add(("unit", "a numeric code needs a Unit"));
            }

            if (schema.Min is { } min && !double.IsFinite(min))
            {
                problems.Add(("min", "Min must be a finite number"));
            }

            if (schema.Max is { } max && !double.IsFinite(max))
            {
                problems.Add(("max", "Max must be a finite number"));
            }

            if (schema.Min > schema.Max)
            {
                problems.Add(("min", "Min is above Max"));
            }

            foreach (var (unit, conversion) in schema.Conversions)
            {
                if (conversion is null || !double.IsFinite(conversion.Factor) || conversion.Factor == 0 || !double.IsFinite(conversion.Offset))
                {
                    problems.Add(($"conversions.{unit}", $"the conversion from '{unit}' needs a finite, non-zero Factor and a finite Offset"));
                }
            }
        }
        else if (schema.Categories.Count == 0)
        {
            problems.Add(("categories", "a categorical code needs Categories"));
        }
        else if (schema.Categories.Any(c => string.IsNullOrWhiteSpace(c)))
        {
            problems.Add(("categories", "a category must not be empty"));
        }
        else if (schema.Categories.Distinct(StringComparer.OrdinalIgnoreCase).Count() != schema.Categories.Count)
        {
            problems.Add(("categories", "Categories must be distinct (compared ignoring case, as values are)"));
        }

        foreach (var (field, text) in Texts(schema))
        {
            if (InputText.IdentifierProblem(field, text) is { } problem)
            {
                problems.Add((field, problem));
            }
        }

        return problems;
    }

    static IEnumerable<(string Field, string? Text)> Texts(ObservationSchema schema)
    {
        yield return ("unit", schema.Unit);
        yield return ("entityType", schema.EntityType);
        yield return ("display", schema.Display);
        foreach (var unit in schema.Conversions.Keys)
        {
            yield return ("conversions", unit);
        }

        for (var i = 0; i < schema.Categories.Count; i++)
        {
            yield return ($"categories[{i}]", schema.Categories[i]);
        }
    }
}
