using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Ingestion;
using Mlops.Ingestion.Schemas;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Ingestion.Validation;

/// <summary>
/// Checks a raw observation against its schema and normalises it. Reports every problem at once, each naming
/// its field, so a sender can fix a record in one round trip.
/// </summary>
public sealed class ObservationValidator(SchemaCatalog catalog, IOptions<IngestionOptions> options, TimeProvider clock)
{
    const int MaxIdLength = 200;

    /// <summary>Validates; returns the normalised observation, or null with the errors.</summary>
    public ValidatedObservation? Validate(RawObservation raw, List<FieldError> errors)
    {
        var observationId = RequiredText(raw.ObservationId, "observationId", errors);
        var entityId = RequiredText(raw.EntityId, "entityId", errors);
        var sourceSystem = RequiredText(raw.SourceSystem, "sourceSystem", errors);
        var eventTime = CheckEventTime(raw.EventTime, errors);
        var availableTime = CheckAvailableTime(raw.AvailableTime, eventTime, errors);

        ObservationSchema? schema = null;
        var code = RequiredText(raw.Code, "code", errors);
        if (code is not null && !catalog.TryGet(code, out schema))
        {
            errors.Add(new("code", $"code '{code}' has no observation schema; known codes: {string.Join(", ", catalog.All.Keys.Order(StringComparer.Ordinal))}"));
        }

        var normalised = schema is null ? null : NormaliseValue(raw, schema, errors);
        if (errors.Count > 0 || schema is null || normalised is null)
        {
            return null;
        }

        return new ValidatedObservation
        {
            ObservationId = observationId!,
            EntityId = entityId!,
            EntityType = schema.EntityType,
            Code = schema.Code,
            Value = normalised.Value.Value,
            Category = normalised.Value.Category,
            Unit = schema.ValueType == ObservationValueType.Category ? "category" : schema.Unit,
            OriginalValue = normalised.Value.Original,
            OriginalUnit = raw.Unit,
            EventTime = eventTime!.Value.ToUniversalTime(),
            AvailableTime = availableTime?.ToUniversalTime(),
            SourceSystem = sourceSystem!,
        };
    }

    static string? RequiredText(string? value, string field, List<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new(field, $"{field} is required"));
            return null;
        }

        if (value.Length > MaxIdLength)
        {
            errors.Add(new(field, $"{field} is longer than {MaxIdLength} characters"));
            return null;
        }

        // Surrounding whitespace is trimmed as always; a control character inside (U+0000 above all, which
        // PostgreSQL cannot store) is refused here rather than failing the whole batch in the database.
        var trimmed = value.Trim();
        if (InputText.IdentifierProblem(field, trimmed) is { } problem)
        {
            errors.Add(new(field, problem));
            return null;
        }

        return trimmed;
    }

    /// <summary>
    /// Earliest time accepted: year 1 (what an unset date becomes in many senders) or a seconds-as-milliseconds slip is
    /// a sender's bug, and such a value would land first in every time-ordered read of the entity.
    /// </summary>
    public static readonly DateTimeOffset EarliestTime = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);

    DateTimeOffset? CheckEventTime(DateTimeOffset? eventTime, List<FieldError> errors)
    {
        if (eventTime is null)
        {
            errors.Add(new("eventTime", "eventTime is required"));
            return null;
        }

        if (eventTime < EarliestTime)
        {
            errors.Add(new("eventTime", $"eventTime {eventTime.Value:O} is before {EarliestTime:yyyy-MM-dd} (an unset or mis-scaled date)"));
            return null;
        }

        var ahead = eventTime.Value - clock.GetUtcNow();
        if (ahead > options.Value.MaxFutureSkew)
        {
            errors.Add(new("eventTime", $"eventTime {eventTime.Value:O} is {ahead.TotalMinutes:0.#} minutes in the future (at most {options.Value.MaxFutureSkew.TotalMinutes:0.#} allowed)"));
            return null;
        }

        return eventTime;
    }

    // Bounded like eventTime: a source cannot have released a value later than now, give or take the same clock skew.
    DateTimeOffset? CheckAvailableTime(DateTimeOffset? availableTime, DateTimeOffset? eventTime, List<FieldError> errors)
    {
        if (availableTime is null)
        {
            return null;
        }

        if (eventTime is not null && availableTime < eventTime)
        {
            errors.Add(new("availableTime", $"availableTime {availableTime.Value:O} is before eventTime {eventTime.Value:O} (a value cannot be available before it was observed)"));
            return null;
        }

        var ahead = availableTime.Value - clock.GetUtcNow();
        if (ahead > options.Value.MaxFutureSkew)
        {
            errors.Add(new("availableTime", $"availableTime {availableTime.Value:O} is {ahead.TotalMinutes:0.#} minutes in the future (at most {options.Value.MaxFutureSkew.TotalMinutes:0.#} allowed)"));
            return null;
        }

        return availableTime;
    }

    static (double Value, string? Category, string Original)? NormaliseValue(RawObservation raw, ObservationSchema schema, List<FieldError> errors)
    {
        if (raw.Value is not { } value || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            errors.Add(new("value", "value is required"));
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && !IsReadableText(value))
        {
            errors.Add(new("value", "value contains an unpaired UTF-16 surrogate escape; it is not valid Unicode"));
            return null;
        }

        return schema.ValueType == ObservationValueType.Category
            ? NormaliseCategory(value, schema, errors)
            : NormaliseNumber(value, raw.Unit, schema, errors);
    }

    // An escaped lone surrogate ("\ud800") is legal JSON, but reading it as a string throws — which surfaced as a 500.
    static bool IsReadableText(JsonElement value)
    {
        try
        {
            _ = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    static (double, string?, string)? NormaliseCategory(JsonElement value, ObservationSchema schema, List<FieldError> errors)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
        var ordinal = schema.Categories.FindIndex(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase));
        if (ordinal < 0)
        {
            errors.Add(new("value", $"value '{text}' is not a category of {schema.Code}; allowed: {string.Join(", ", schema.Categories)}"));
            return null;
        }

        return (ordinal, schema.Categories[ordinal], text!);
    }

    static (double, string?, string)? NormaliseNumber(JsonElement value, string? unit, ObservationSchema schema, List<FieldError> errors)
    {
        var number = ReadNumber(value, schema, errors);
        var conversion = ReadUnit(unit, schema, errors);
        if (number is null || conversion is null)
        {
            return null;
        }

        var canonical = conversion.Apply(number.Value);
        if (canonical < schema.Min || canonical > schema.Max)
        {
            errors.Add(new("value", string.Create(CultureInfo.InvariantCulture,
                $"value {canonical:0.###} {schema.Unit} is outside the plausible range {schema.Min}–{schema.Max} {schema.Unit} for {schema.Code}")));
            return null;
        }

        return (canonical, null, value.GetRawText());
    }

    static double? ReadNumber(JsonElement value, ObservationSchema schema, List<FieldError> errors)
    {
        double number;
        if (value.ValueKind == JsonValueKind.Number)
        {
            number = value.GetDouble();
        }
        else if (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            // "NaN", "Infinity" and numbers sent as strings arrive here; the finiteness check below refuses the former.
            number = parsed;
        }
        else
        {
            errors.Add(new("value", $"value must be a number for {schema.Code}, got {value.ValueKind.ToString().ToLowerInvariant()} {value.GetRawText()}"));
            return null;
        }

        if (!double.IsFinite(number))
        {
            errors.Add(new("value", $"value must be a finite number, got {value.GetRawText()}"));
            return null;
        }

        return number;
    }

    static readonly UnitConversion Identity = new();

    static UnitConversion? ReadUnit(string? unit, ObservationSchema schema, List<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(unit))
        {
            errors.Add(new("unit", $"unit is required for {schema.Code}; accepted: {string.Join(", ", schema.AcceptedUnits)}"));
            return null;
        }

        if (unit == schema.Unit)
        {
            return Identity;
        }

        if (schema.Conversions.TryGetValue(unit, out var conversion))
        {
            return conversion;
        }

        errors.Add(new("unit", $"unit '{unit}' is not accepted for {schema.Code}; accepted: {string.Join(", ", schema.AcceptedUnits)}"));
        return null;
    }
}
