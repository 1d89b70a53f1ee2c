using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Mlops.Monitoring.Performance;
using Mlops.Monitoring.Retraining;
using Mlops.Monitoring.Settings;
using Mlops.Monitoring.Slo;
using Mlops.Monitoring.Windows;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Monitoring.Api;

/// <summary>
/// One model's monitoring settings without a redeploy: the label and windows its outcomes are judged in, what may
/// retrain it (schedule, drift, degradation) with which canary rollout, and its SLO objectives. Unset parts fall back to the shipped files.
/// </summary>
public static class ModelSettingsApi
{
    /// <summary>Body of <c>PUT /api/monitoring/models/{model}/settings</c>.</summary>
    public sealed record ModelSettingsBody(ModelOutcomeOptions? Performance, RetrainingModelOptions? Retraining, string? UpdatedBy)
    {
        /// <summary>The model's SLO objectives; a value left out is the service-wide one.</summary>
        public ModelSloOptions? Slo { get; init; }
    }

    /// <summary>What is stored for the model (null: nothing, the shipped settings hold) and what is in force.</summary>
    public sealed record ModelSettingsView(string ModelName, ModelSettings? Stored, ModelOutcomeOptions Performance, RetrainingModelOptions? Retraining, RetrainingRolloutOptions Rollout)
    {
        /// <summary>The SLO objectives in force for the model.</summary>
        public required SloObjectives Slo { get; init; }

        /// <summary>The drift window settings in force for the model (<c>Monitoring:Drift:Models:{model}</c> over the service-wide ones; configuration only).</summary>
        public required DriftWindowSettings DriftWindows { get; init; }
    }

    public static IEndpointRouteBuilder MapModelSettingsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/monitoring/models/{model}/settings").WithTags("Model settings");
        api.MapGet("/", GetSettings);
        api.MapPut("/", PutSettings);
        return routes;
    }

    static async Task<Results<Ok<ModelSettingsView>, ValidationProblem>> GetSettings(
        string model, ModelSettingsStore store, IOptions<PerformanceOptions> performance, IOptions<SloOptions> slo, IOptions<DriftOptions> drift, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        return InputText.CheckIdentifier(errors, "model", model)
            ? TypedResults.Ok(await ViewAsync(model, store, performance.Value, slo.Value, drift.Value, ct))
            : TypedResults.ValidationProblem(errors, title: "The model name is invalid");
    }

    static async Task<Results<Ok<ModelSettingsView>, ValidationProblem>> PutSettings(
        string model, ModelSettingsBody? body, ModelSettingsStore store, RetrainingScheduleSync schedules, IOptions<PerformanceOptions> performance,
        IOptions<DriftOptions> drift, IOptions<SloOptions> sloOptions, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        InputText.CheckIdentifier(errors, "model", model);
        InputText.CheckIdentifier(errors, "updatedBy", body?.UpdatedBy);
        if (body?.Performance is null && body?.Retraining is null && body?.Slo is null)
        {
            errors["performance"] = ["give performance, retraining, slo or several of them"];
        }

        if (body?.Slo is { } slo && SloOptions.ModelProblem(slo) is { } sloProblem)
        {
            errors["slo"] = [sloProblem];
        }

        if (body?.Performance is { } outcome)
        {
            InputText.CheckIdentifier(errors, "performance.label", outcome.Label, required: false);
            if (performance.Value.ModelProblem(outcome, drift.Value.Retention) is { } problem)
            {
                errors["performance"] = [problem];
            }
        }

        if (body?.Retraining is { } retraining)
        {
            if (retraining.Schedule is { } cron && !Quartz.CronExpression.TryParse(cron, out _))
            {
                errors["retraining.schedule"] = [$"'{cron}' is not a Quartz cron expression (seconds first, e.g. 0 0 3 ? * SUN)"];
            }

            if (!string.IsNullOrWhiteSpace(retraining.TimeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(retraining.TimeZone, out _))
            {
                errors["retraining.timeZone"] = [$"unknown time zone '{retraining.TimeZone}'"];
            }

            if (retraining.TrainingWindow is { } window && window <= TimeSpan.Zero)
            {
                errors["retraining.trainingWindow"] = [$"'{window}' is not a positive time span (e.g. 30.00:00:00 for the last 30 days)"];
            }

            if (retraining.Cooldown is { } cooldown && cooldown < TimeSpan.Zero)
            {
                errors["retraining.cooldown"] = [$"'{cooldown}' is negative; 00:00:00 lets the next retraining start as soon as one ends"];
            }

            if (retraining.Rollout is { } rollout && !rollout.IsValid())
            {
                errors["retraining.rollout"] = ["steps rising within 1–100, a positive analysisInterval, failureLimit ≥ 0, consecutiveSuccesses, minRequests and minLabels ≥ 1, maxAurocDrop and maxDriftShare within 0–1"];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The model settings are invalid");
        }

        await store.SaveAsync(model, new ModelSettings { Performance = body!.Performance, Retraining = body.Retraining, Slo = body.Slo, UpdatedBy = body.UpdatedBy!, UpdatedAt = clock.GetUtcNow() }, ct);
        // This replica at once; the others within their next sweep.
        await schedules.ReconcileAsync(ct);
        return TypedResults.Ok(await ViewAsync(model, store, performance.Value, sloOptions.Value, drift.Value, ct));
    }

    static async Task<ModelSettingsView> ViewAsync(
        string model, ModelSettingsStore store, PerformanceOptions performance, SloOptions slo, DriftOptions drift, CancellationToken ct)
    {
        var stored = await store.GetAsync(model, ct);
        var outcome = (await store.OutcomeModelsAsync(ct)).TryGetValue(model, out var resolved) ? resolved : performance.Resolve(null);
        var objectives = await store.SloObjectivesAsync(ct);
        return new(model, stored, outcome, await store.RetrainingAsync(model, ct), await store.RolloutAsync(model, ct))
        {
            Slo = objectives.TryGetValue(model, out var own) ? own : slo.Resolve(null),
            DriftWindows = drift.For(model),
        };
    }
}
