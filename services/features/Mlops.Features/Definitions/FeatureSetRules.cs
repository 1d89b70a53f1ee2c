using System.Text.RegularExpressions;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Features.Definitions;

/// <summary>
/// What makes a feature definition set computable, shared by the configured set (start-up: a bad one stops the
/// service) and sets registered at run time (400 naming each field), so both are held to the same rules.
/// </summary>
public static partial class FeatureSetRules
{
    /// <summary>Longest set name.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The aggregation functions the calculator knows.</summary>
    public static readonly IReadOnlyList<string> Functions = ["last", "mean", "min", "max", "std", "count", "slope", "time_since_last"];

    // Windows are named in whole minutes or hours (heart_rate_mean_6h); a longer window than a year is a typo, not a feature.
    static readonly TimeSpan MaxWindow = TimeSpan.FromDays(366);

    /// <summary>Every problem, as (field, message) with camelCase field paths as in the JSON; empty when usable.</summary>
    public static List<(string Field, string Message)> Check(FeatureDefinitions set)
    {
        var problems = new List<(string, string)>();
        if (NameProblem(set.Name) is { } nameProblem)
        {
            problems.Add(("name", nameProblem));
        }

        if (string.IsNullOrWhiteSpace(set.EntityType))
        {
            problems.Add(("entityType", "entityType is required"));
        }
        else if (InputText.IdentifierProblem("entityType", set.EntityType) is { } typeProblem)
        {
            problems.Add(("entityType", typeProblem));
        }

        CheckWindow(problems, "latestVitalsWindow", set.LatestVitalsWindow);
        var produced = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < set.Aggregations.Count; i++)
        {
            CheckAggregation(problems, $"aggregations[{i}]", set.Aggregations[i], produced);
        }

        for (var i = 0; i < set.Ratios.Count; i++)
        {
            CheckRatio(problems, $"ratios[{i}]", set.Ratios[i], produced);
        }

        if (set.EarlyWarningScore && !produced.Add("news2"))
        {
            problems.Add(("earlyWarningScore", "the feature name 'news2' is produced twice"));
        }

        if (produced.Count == 0)
        {
            problems.Add(("aggregations", "the set produces no feature: give aggregations, ratios or earlyWarningScore"));
        }

        return problems;
    }

    /// <summary>Why a set name cannot be used (it becomes part of the version, URLs and events), or null.</summary>
    public static string? NameProblem(string? name, string field = "name") =>
        string.IsNullOrWhiteSpace(name) ? $"{field} is required"
        : name.Length > MaxNameLength ? $"{field} is longer than {MaxNameLength} characters"
        : !NamePattern().IsMatch(name) ? $"{field} '{name}' must start with a letter or digit and contain only letters, digits, '_', '.' or '-'"
        : null;

    static void CheckAggregation(List<(string, string)> problems, string path, AggregationDefinition? aggregation, HashSet<string> produced)
    {
        if (aggregation is null)
        {
            problems.Add((path, $"{path} must be an object"));
            return;
        }

        if (string.IsNullOrWhiteSpace(aggregation.Code))
        {
            problems.Add(($"{path}.code", "code is required"));
        }
        else if (InputText.IdentifierProblem($"{path}.code", aggregation.Code) is { } codeProblem)
        {
            problems.Add(($"{path}.code", codeProblem));
        }

        if (aggregation.Functions is not { Count: > 0 })
        {
            problems.Add(($"{path}.functions", "at least one function is required"));
        }

        if (aggregation.Windows is not { Count: > 0 })
        {
            problems.Add(($"{path}.windows", "at least one window is required"));
        }

        var functions = aggregation.Functions ?? [];
        for (var j = 0; j < functions.Count; j++)
        {
            if (!Functions.Contains(functions[j], StringComparer.Ordinal))
            {
                problems.Add(($"{path}.functions[{j}]", $"unknown function '{functions[j]}'; known: {string.Join(", ", Functions)}"));
            }
        }

        var windows = aggregation.Windows ?? [];
        for (var j = 0; j < windows.Count; j++)
        {
            CheckWindow(problems, $"{path}.windows[{j}]", windows[j]);
        }

        foreach (var window in windows)
        {
            foreach (var function in functions.Where(f => Functions.Contains(f, StringComparer.Ordinal)))
            {
                var name = FeatureDefinitions.FeatureName(aggregation.Code, function, window);
                if (!produced.Add(name))
                {
                    problems.Add(($"{path}", $"the feature name '{name}' is produced twice"));
                }
            }
        }
    }

    static void CheckRatio(List<(string, string)> problems, string path, RatioDefinition? ratio, HashSet<string> produced)
    {
        if (ratio is null)
        {
            problems.Add((path, $"{path} must be an object"));
            return;
        }

        foreach (var (field, value) in new[] { ("numerator", ratio.Numerator), ("denominator", ratio.Denominator) })
        {
            // A ratio reads aggregations and earlier ratios (it is computed in order, before news2).
            if (string.IsNullOrWhiteSpace(value))
            {
                problems.Add(($"{path}.{field}", $"{field} is required"));
            }
            else if (!produced.Contains(value))
            {
                problems.Add(($"{path}.{field}", $"'{value}' is not a feature of this set defined before the ratio"));
            }
        }

        if (string.IsNullOrWhiteSpace(ratio.Name))
        {
            problems.Add(($"{path}.name", "name is required"));
        }
        else if (InputText.IdentifierProblem($"{path}.name", ratio.Name) is { } nameProblem)
        {
            problems.Add(($"{path}.name", nameProblem));
        }
        else if (!produced.Add(ratio.Name))
        {
            problems.Add(($"{path}.name", $"the feature name '{ratio.Name}' is produced twice"));
        }
    }

    static void CheckWindow(List<(string, string)> problems, string field, TimeSpan window)
    {
        if (window <= TimeSpan.Zero)
        {
            problems.Add((field, $"{field} must be positive, got {window:c}"));
        }
        else if (window > MaxWindow)
        {
            problems.Add((field, $"{field} must be at most {MaxWindow.TotalDays:0} days, got {window:c}"));
        }
        else if (window.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            problems.Add((field, $"{field} must be whole minutes (feature names say 30m or 6h), got {window:c}"));
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex NamePattern();
}
