using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Mlops.Monitoring.Drift;
using Mlops.Monitoring.Profiles;
using Mlops.Monitoring.Windows;

namespace Mlops.Monitoring.Api;

/// <summary>Drift reports per model, version, variant and feature over time; the reference profiles; the drift alerts.</summary>
public static class DriftApi
{
    /// <summary>A profiled feature: how many reference values and which statistic judges it by default.</summary>
    public sealed record ProfiledFeature(string Feature, int ReferenceCount, int DistinctValues, string DefaultMethod, double Mean, double StandardDeviation);

    /// <summary>What a version's windows are compared with.</summary>
    public sealed record ProfileSummary(
        string ModelName, string ModelVersion, string TrainingRunId, string FeatureSetVersion, int TrainingRows, int MaxSample,
        IReadOnlyList<ProfiledFeature> Features);

    /// <summary>
    /// The window settings in force for a model — its own (<c>Monitoring:Drift:Models:{model}</c>, null when it has none)
    /// over the service-wide ones — and what its versions and variants are waiting for: the predictions not in a count
    /// window yet and the current time window, which is judged once <see cref="TimeWindowJudgedAfter"/> has passed.
    /// </summary>
    public sealed record DriftSettingsView(
        string ModelName, DriftModelOptions? Configured, DriftWindowSettings Effective, TimeSpan Lateness, TimeSpan JoinTimeout,
        DateTimeOffset? CurrentTimeWindowStart, DateTimeOffset? TimeWindowJudgedAfter, IReadOnlyList<OpenCountWindow> Open);

    /// <summary>
    /// A version and variant's predictions not in a count window yet and how many more its next one needs (null: the
    /// model's count windows are off; 0: it closes at the next round once their feature vectors have joined).
    /// </summary>
    public sealed record OpenCountWindow(string ModelVersion, string Variant, int Predictions, int? StillNeeded, DateTimeOffset LastPredictedAt);

    const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapDriftApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/monitoring").WithTags("Monitoring");
        api.MapGet("/models/{model}/drift", ListWindows);
        api.MapGet("/models/{model}/drift/settings", GetSettings);
        api.MapGet("/windows/{windowId:long}", GetWindow);
        api.MapGet("/models/{model}/versions/{version}/profile", GetProfile);
        api.MapGet("/alerts/drift", ListAlerts);
        return routes;
    }

    static async Task<Results<Ok<IReadOnlyList<DriftReportReader.WindowReport>>, ValidationProblem>> ListWindows(
        string model, string? version, string? variant, string? feature, string? kind, DateTimeOffset? from, DateTimeOffset? to, int? limit,
        DriftReportReader reports, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (kind is not null and not ("count" or "time"))
        {
            errors["kind"] = [$"'{kind}' is not a window kind; use count or time"];
        }

        if (from is not null && to is not null && from > to)
        {
            errors["from"] = ["from must not be after to"];
        }

        CheckLimit(limit, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The drift query is invalid");
        }

        return TypedResults.Ok(await reports.ListAsync(new(model, version, variant, feature, kind, from, to, limit ?? 100), ct));
    }

    static async Task<Ok<DriftSettingsView>> GetSettings(
        string model, IOptions<DriftOptions> options, DriftReportReader reports, TimeProvider clock, CancellationToken ct)
    {
        var drift = options.Value;
        var effective = drift.For(model);
        DateTimeOffset? start = null;
        if (effective.WindowDuration > TimeSpan.Zero)
        {
            // Time windows are aligned to the Unix epoch, as date_bin cuts them.
            var sinceEpoch = clock.GetUtcNow() - DateTimeOffset.UnixEpoch;
            start = DateTimeOffset.UnixEpoch + TimeSpan.FromTicks(sinceEpoch.Ticks - sinceEpoch.Ticks % effective.WindowDuration.Ticks);
        }

        var open = (await reports.OpenAsync(model, ct))
            .Select(o => new OpenCountWindow(
                o.ModelVersion, o.Variant, o.Predictions, effective.WindowSize > 0 ? Math.Max(0, effective.WindowSize - o.Predictions) : null, o.LastPredictedAt))
            .ToList();
        return TypedResults.Ok(new DriftSettingsView(
            model, drift.Models.GetValueOrDefault(model), effective, drift.Lateness, drift.JoinTimeout, start,
            start + effective.WindowDuration + drift.Lateness, open));
    }

    static async Task<Results<Ok<DriftReportReader.WindowReport>, NotFound>> GetWindow(long windowId, DriftReportReader reports, CancellationToken ct) =>
        await reports.GetAsync(windowId, ct) is { } window ? TypedResults.Ok(window) : TypedResults.NotFound();

    static async Task<Results<Ok<ProfileSummary>, NotFound>> GetProfile(string model, string version, ReferenceProfileStore profiles, CancellationToken ct)
    {
        if (await profiles.GetAsync(model, version, ct) is not { } profile)
        {
            return TypedResults.NotFound();
        }

        var features = profile.Features
            .Append(new(DriftWindowJudge.PredictionFeature, profile.Predictions))
            .Where(f => f.Value.Count > 0)
            .Select(f => new ProfiledFeature(
                f.Key, f.Value.Count, f.Value.Distinct().Count(), DriftMethodSelector.Select(f.Value).Name(), f.Value.Average(),
                WassersteinDistance.PopulationStandardDeviation(f.Value)))
            .ToList();
        return TypedResults.Ok(new ProfileSummary(model, version, profile.TrainingRunId, profile.FeatureSetVersion, profile.TrainingRows, profile.MaxSample, features));
    }

    static async Task<Results<Ok<IReadOnlyList<DriftReportReader.AlertReport>>, ValidationProblem>> ListAlerts(
        string? model, int? limit, DriftReportReader reports, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        CheckLimit(limit, errors);
        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors, title: "The alert query is invalid")
            : TypedResults.Ok(await reports.AlertsAsync(model, limit ?? 100, ct));
    }

    static void CheckLimit(int? limit, Dictionary<string, string[]> errors)
    {
        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}"];
        }
    }
}
