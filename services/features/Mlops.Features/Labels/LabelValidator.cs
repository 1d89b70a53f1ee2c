using Mlops.Contracts.Features;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Features.Labels;

/// <summary>
/// What a label needs before it is stored, shared by the HTTP and <c>labels.v1</c> intakes so both refuse the same
/// labels with the same reasons (a control character in an id is refused here, not by PostgreSQL as a 500).
/// </summary>
public static class LabelValidator
{
    // As at ingestion: an id of megabytes cannot be indexed by PostgreSQL (a 500 before this check) and is no id.
    const int MaxIdLength = 200;

    // As at ingestion: year 1 (an unset date) or a time beyond clock skew is a sender's bug, and a label at such a
    // time would join no prediction and skew every point-in-time training set that reads it.
    static readonly DateTimeOffset EarliestTime = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);
    static readonly TimeSpan MaxFutureSkew = TimeSpan.FromMinutes(5);

    /// <summary>Every problem, by field (camelCase as in the JSON); empty when the label is valid.</summary>
    public static Dictionary<string, string[]> Validate(LabelRecorded label) => Validate(label, DateTimeOffset.UtcNow);

    /// <summary>Every problem, judging times against <paramref name="now"/>.</summary>
    public static Dictionary<string, string[]> Validate(LabelRecorded label, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckId(errors, "labelId", label.LabelId);
        CheckId(errors, "entityId", label.EntityId);
        CheckId(errors, "name", label.Name);
        if (label.PredictionId is not null)
        {
            CheckId(errors, "predictionId", label.PredictionId);
        }

        if (!double.IsFinite(label.Value))
        {
            errors["value"] = ["value must be a finite number"];
        }

        if (label.EventTime < EarliestTime)
        {
            errors["eventTime"] = [$"eventTime {label.EventTime:O} is before {EarliestTime:yyyy-MM-dd} (an unset or mis-scaled date)"];
        }
        else if (label.EventTime - now > MaxFutureSkew)
        {
            errors["eventTime"] = [$"eventTime {label.EventTime:O} is in the future (at most {MaxFutureSkew.TotalMinutes:0} minutes of clock skew allowed)"];
        }

        return errors;
    }

    /// <summary>One line naming every problem, for a dead-letter reason.</summary>
    public static string Describe(Dictionary<string, string[]> errors) =>
        "invalid label: " + string.Join("; ", errors.SelectMany(e => e.Value));

    static void CheckId(Dictionary<string, string[]> errors, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors[field] = [$"{field} is required"];
        }
        else if (value.Length > MaxIdLength)
        {
            errors[field] = [$"{field} is longer than {MaxIdLength} characters"];
        }
        else if (InputText.IdentifierProblem(field, value) is { } problem)
        {
            errors[field] = [problem];
        }
    }
}
