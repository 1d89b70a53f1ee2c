using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Ingestion;
using Mlops.Ingestion.Schemas;
using Mlops.Ingestion.Validation;

namespace Mlops.Ingestion.Tests.Validation;

/// <summary>Every validation rule, with the message a sender sees. Uses the schemas the service ships.</summary>
public sealed class ObservationValidatorTests
{
    static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    readonly ObservationValidator _validator;

    public ObservationValidatorTests()
    {
        // Bound through configuration exactly as the service binds the file it ships.
        var options = new IngestionOptions();
        new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "observation-schemas.json")).Build()
            .GetSection(IngestionOptions.SectionName).Bind(options);
        _validator = new ObservationValidator(new SchemaCatalog(Options.Create(options)), Options.Create(options), new FixedClock(Now));
    }

    static RawObservation Valid(string code = "heart_rate", object? value = null, string? unit = "/min") => new()
    {
        ObservationId = "obs-1",
        EntityId = "patient-1",
        Code = code,
        Value = JsonSerializer.SerializeToElement(value ?? 88),
        Unit = unit,
        EventTime = Now.AddMinutes(-3),
        SourceSystem = "ward-7",
    };

    public static TheoryData<string, RawObservation, string, string> Invalid => new()
    {
        { "missing id", Valid() with { ObservationId = null }, "observationId", "observationId is required" },
        { "blank entity", Valid() with { EntityId = "  " }, "entityId", "entityId is required" },
        { "missing source", Valid() with { SourceSystem = null }, "sourceSystem", "sourceSystem is required" },
        { "overlong id", Valid() with { ObservationId = new string('x', 201) }, "observationId", "observationId is longer than 200 characters" },
        { "NUL in entity id", Valid() with { EntityId = "patient\u00001" }, "entityId", "entityId contains the control character U+0000 at position 7; control characters are not allowed" },
        { "line break inside code", Valid() with { Code = "heart\nrate" }, "code", "code contains the control character U+000A at position 5; control characters are not allowed" },
        { "unpaired surrogate in source", Valid() with { SourceSystem = "ward\ud800" }, "sourceSystem", "sourceSystem contains an unpaired UTF-16 surrogate U+D800 at position 4; it is not valid Unicode" },
        { "missing code", Valid() with { Code = null }, "code", "code is required" },
        { "unknown code", Valid() with { Code = "shoe_size" }, "code", "code 'shoe_size' has no observation schema; known codes: consciousness, creatinine, diastolic_bp, heart_rate, lactate, respiratory_rate, spo2, systolic_bp, temperature, wbc" },
        { "missing value", Valid() with { Value = null }, "value", "value is required" },
        { "text for a number", Valid(value: "fast"), "value", "value must be a number for heart_rate, got string \"fast\"" },
        { "NaN", Valid(value: "NaN"), "value", "value must be a finite number, got \"NaN\"" },
        { "Infinity", Valid(value: "Infinity"), "value", "value must be a finite number, got \"Infinity\"" },
        { "missing unit", Valid(unit: null), "unit", "unit is required for heart_rate; accepted: /min, bpm" },
        { "wrong unit", Valid(unit: "kg"), "unit", "unit 'kg' is not accepted for heart_rate; accepted: /min, bpm" },
        { "above range", Valid(value: 350), "value", "value 350 /min is outside the plausible range 20–300 /min for heart_rate" },
        { "below range after conversion", Valid("temperature", 70, "[degF]"), "value", "value 21.111 Cel is outside the plausible range 25–45 Cel for temperature" },
        { "unknown category", Valid("consciousness", "Z", null), "value", "value 'Z' is not a category of consciousness; allowed: A, C, V, P, U" },
        { "missing event time", Valid() with { EventTime = null }, "eventTime", "eventTime is required" },
        { "event time in the future", Valid() with { EventTime = Now.AddMinutes(30) }, "eventTime", "eventTime 2026-11-22T12:30:00.0000000+00:00 is 30 minutes in the future (at most 5 allowed)" },
        {
            "available before observed", Valid() with { AvailableTime = Now.AddMinutes(-4) }, "availableTime",
            "availableTime 2026-11-22T11:56:00.0000000+00:00 is before eventTime 2026-11-22T11:57:00.0000000+00:00 (a value cannot be available before it was observed)"
        },
        { "available in the future", Valid() with { AvailableTime = Now.AddHours(1) }, "availableTime", "availableTime 2026-11-22T13:00:00.0000000+00:00 is 60 minutes in the future (at most 5 allowed)" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_InvalidObservation_NamesTheFieldAndTheProblem(string scenario, RawObservation raw, string field, string message)
    {
        var errors = new List<FieldError>();

        var result = _validator.Validate(raw, errors);

        Assert.Null(result);
        var error = Assert.Single(errors);
        Assert.True(error == new FieldError(field, message), $"{scenario}: got {error}");
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEveryOneAtOnce()
    {
        var errors = new List<FieldError>();

        _validator.Validate(Valid(value: "NaN", unit: "kg") with { ObservationId = null, EventTime = Now.AddDays(1) }, errors);

        Assert.Equal(["eventTime", "observationId", "unit", "value"], errors.Select(e => e.Field).Order());
    }

    [Fact]
    public void Validate_FahrenheitTemperature_IsConvertedToCelsius()
    {
        var result = _validator.Validate(Valid("temperature", 101.3, "[degF]"), []);

        Assert.NotNull(result);
        Assert.Equal(38.5, result.Value, precision: 9);
        Assert.Equal("Cel", result.Unit);
        Assert.Equal("101.3", result.OriginalValue);
        Assert.Equal("[degF]", result.OriginalUnit);
    }

    [Fact]
    public void Validate_Category_IsStoredAsItsOrdinal()
    {
        var result = _validator.Validate(Valid("consciousness", "v", null), []);

        Assert.NotNull(result);
        Assert.Equal(2, result.Value);
        Assert.Equal("V", result.Category);
        Assert.Equal("category", result.Unit);
    }

    [Fact]
    public void Validate_SurroundingWhitespaceAndEmoji_AreAcceptedTrimmed()
    {
        var result = _validator.Validate(Valid() with { EntityId = " patient-\U0001F600\n" }, []);

        Assert.NotNull(result);
        Assert.Equal("patient-\U0001F600", result.EntityId);
    }

    [Fact]
    public void Validate_EventTimeWithinClockSkew_IsAccepted()
    {
        Assert.NotNull(_validator.Validate(Valid() with { EventTime = Now.AddMinutes(4) }, []));
    }

    [Fact]
    public void Validate_LabResultAvailableHoursAfterTheSample_KeepsBothTimesInUtc()
    {
        var drawn = new DateTimeOffset(2026, 11, 15, 8, 0, 0, TimeSpan.FromHours(1));
        var result = _validator.Validate(Valid("lactate", 2.4, "mmol/L") with { EventTime = drawn, AvailableTime = drawn.AddHours(3) }, []);

        Assert.NotNull(result);
        Assert.Equal(drawn, result.EventTime);
        Assert.Equal(drawn.AddHours(3), result.AvailableTime);
        Assert.Equal(TimeSpan.Zero, result.AvailableTime!.Value.Offset);
    }

    [Fact]
    public void Validate_AvailableTimeEqualToEventTime_IsAccepted()
    {
        var raw = Valid();
        Assert.NotNull(_validator.Validate(raw with { AvailableTime = raw.EventTime }, []));
    }

    [Fact]
    public void ContentHash_WithoutAvailableTime_IsUnchangedAndAnAvailableTimeMakesItDiffer()
    {
        var without = _validator.Validate(Valid(), [])!;
        var with = _validator.Validate(Valid() with { AvailableTime = Now.AddMinutes(-1) }, [])!;

        // The hash observations have had since the first release: repeats of them stay duplicates.
        var legacy = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            string.Join('\u001f', "patient-1", "heart_rate", "88", "/min", Now.AddMinutes(-3).UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture), "ward-7"))));
        Assert.Equal(legacy, without.ContentHash);
        Assert.NotEqual(without.ContentHash, with.ContentHash);
    }

    [Fact]
    public void ContentHash_SameObservationSentTwice_IsEqualAndDiffersForOtherContent()
    {
        var first = _validator.Validate(Valid(), [])!;
        var repeat = _validator.Validate(Valid(), [])!;
        var other = _validator.Validate(Valid(value: 89), [])!;

        Assert.Equal(first.ContentHash, repeat.ContentHash);
        Assert.NotEqual(first.ContentHash, other.ContentHash);
    }

    sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
