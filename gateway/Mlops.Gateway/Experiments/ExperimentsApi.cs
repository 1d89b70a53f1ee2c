using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Gateway.Security;

namespace Mlops.Gateway.Experiments;

/// <summary>A/B experiments over HTTP: define, add outcome counts, read the sequential status, stop, plan a sample size.</summary>
public static partial class ExperimentsApi
{
    /// <summary>τ = 1 percentage point: the order of effect the platform's experiments look for (see docs/rollouts.md).</summary>
    public const double DefaultMixingVariance = 0.0001;

    public const double DefaultAlpha = 0.05;

    public static IEndpointRouteBuilder MapExperimentsApi(this IEndpointRouteBuilder routes)
    {
        // Reads with any key; defining an experiment or adding its outcomes is an operator's act.
        var api = routes.MapGroup("/api/gateway/experiments").WithTags("Experiments").RequireAuthorization(Roles.AnyKeyPolicy);
        api.MapPost("", Create).RequireAuthorization(Roles.Operate);
        api.MapGet("", List);
        api.MapGet("/sample-size", PlanSampleSize);
        api.MapGet("/{id:guid}", GetStatus);
        api.MapGet("/{id:guid}/looks", GetLooks);
        api.MapPost("/{id:guid}/observations", AddObservations).RequireAuthorization(Roles.Operate);
        api.MapPost("/{id:guid}/stop", Stop).RequireAuthorization(Roles.Operate);
        return routes;
    }

    static async Task<Results<Created<ExperimentStatus>, ValidationProblem>> Create(CreateExperimentRequest body, ExperimentStore store, TimeProvider time, CancellationToken ct)
    {
        var errors = Validate(body);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The experiment is invalid");
        }

        var experiment = new Experiment
        {
            Id = Guid.CreateVersion7(),
            Name = body.Name!.Trim(),
            ModelName = body.ModelName!.Trim(),
            Arms = body.Arms!.Select(a => new ExperimentArm { Name = a.Name!.Trim(), Variant = a.Variant!.Trim(), Weight = a.Weight ?? 1 }).ToList(),
            Alpha = body.Alpha ?? DefaultAlpha,
            MixingVariance = body.MixingVariance ?? DefaultMixingVariance,
            // PostgreSQL keeps microseconds: the answer shows the start as stored (monitoring is asked from it).
            CreatedAt = time.GetUtcNow() is var now ? now.AddTicks(-(now.Ticks % 10)) : default,
            Outcome = body.Outcome is { } outcome ? new ExperimentOutcome { Success = outcome.Success!, Threshold = outcome.Threshold } : null,
        };
        await store.CreateAsync(experiment, ct);
        return TypedResults.Created($"/api/gateway/experiments/{experiment.Id}", ExperimentAnalysis.Analyse(experiment));
    }

    static async Task<Ok<IReadOnlyList<ExperimentStatus>>> List(string? model, ExperimentStore store, CancellationToken ct) =>
        TypedResults.Ok((IReadOnlyList<ExperimentStatus>)(await store.ListAsync(model, ct)).Select(ExperimentAnalysis.Analyse).ToList());

    static async Task<Results<Ok<ExperimentStatus>, NotFound>> GetStatus(Guid id, ExperimentStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } experiment ? TypedResults.Ok(ExperimentAnalysis.Analyse(experiment)) : TypedResults.NotFound();

    /// <summary>Most looks one answer holds (the newest; older ones stay stored): a chart needs no more.</summary>
    public const int MaxLooks = 5000;

    /// <summary>The p-value history: each look's counts and p-values, oldest first, the newest <c>limit</c> (default 1000).</summary>
    static async Task<Results<Ok<IReadOnlyList<ExperimentLook>>, NotFound, ValidationProblem>> GetLooks(Guid id, int? limit, ExperimentStore store, CancellationToken ct)
    {
        if (limit is not null and not (>= 1 and <= MaxLooks))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"limit must lie between 1 and {MaxLooks}"] });
        }

        return await store.LooksAsync(id, limit ?? 1000, ct) is { } looks ? TypedResults.Ok(looks) : TypedResults.NotFound();
    }

    static async Task<Results<Ok<ExperimentStatus>, NotFound, ValidationProblem, ProblemHttpResult>> AddObservations(
        Guid id, ObservationsRequest body, ExperimentStore store, CancellationToken ct)
    {
        using var activity = ExperimentTelemetry.Source.StartActivity("experiment observations");
        activity?.SetTag("mlops.experiment", id);
        var existing = await store.GetAsync(id, ct);
        if (existing is null)
        {
            return TypedResults.NotFound();
        }

        if (existing.Stopped is { } stopped)
        {
            return TypedResults.Problem(
                $"Experiment {id} was stopped at {stopped.At:O} by {stopped.By} ({stopped.Reason}); its counts are final.",
                statusCode: StatusCodes.Status409Conflict, title: "Experiment stopped");
        }

        if (existing.Outcome is not null)
        {
            // Posted counts would be counted beside monitoring's and the same units twice.
            return TypedResults.Problem(
                $"Experiment {id} counts its outcomes from monitoring's delayed-label join ({existing.Outcome.Success}); counts cannot also be posted.",
                statusCode: StatusCodes.Status409Conflict, title: "Outcomes come from monitoring");
        }

        var errors = new Dictionary<string, string[]>();
        if (body.Arms is not { Count: > 0 })
        {
            errors["arms"] = ["arms must list at least one arm's counts"];
        }
        else
        {
            var known = existing.Arms.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
            for (var i = 0; i < body.Arms.Count; i++)
            {
                var o = body.Arms[i];
                if (o.Arm is null || !known.Contains(o.Arm))
                {
                    errors[$"arms[{i}].arm"] = [$"'{o.Arm}' is not an arm of this experiment; arms: {string.Join(", ", known)}"];
                }

                if (o.Trials is not >= 0)
                {
                    errors[$"arms[{i}].trials"] = ["trials is required and must be 0 or more"];
                }

                if (o.Successes is not >= 0 || o.Successes > o.Trials)
                {
                    errors[$"arms[{i}].successes"] = ["successes is required and must lie between 0 and trials"];
                }
            }

            if (body.Arms.GroupBy(a => a.Arm).Any(g => g.Count() > 1))
            {
                errors["arms"] = ["each arm may appear once per batch"];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The observations are invalid");
        }

        var increments = body.Arms!.ToDictionary(a => a.Arm!, a => (a.Trials!.Value, a.Successes!.Value));
        var updated = await store.AddObservationsAsync(id, increments, ct);
        if (updated is null)
        {
            return TypedResults.NotFound();
        }

        ExperimentTelemetry.Observations.Add(increments.Values.Sum(v => v.Item1));
        var status = ExperimentAnalysis.Analyse(updated);
        if (status.SampleRatio.Mismatch)
        {
            ExperimentTelemetry.SampleRatioMismatches.Add(1);
        }

        activity?.SetTag("mlops.experiment.decision", status.Decision);
        return TypedResults.Ok(status);
    }

    /// <summary>Most characters of a stop reason.</summary>
    public const int MaxReasonLength = 500;

    /// <summary>
    /// Ends an experiment — its decision reached, or called off: counts and looks stop, its status stays readable as it
    /// was at the stop. Stopping a stopped experiment answers it unchanged (the first stop stands).
    /// </summary>
    static async Task<Results<Ok<ExperimentStatus>, NotFound, ValidationProblem>> Stop(
        Guid id, StopExperimentRequest? body, ClaimsPrincipal user, ExperimentStore store, TimeProvider time, CancellationToken ct)
    {
        var reason = body?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > MaxReasonLength || reason.Any(char.IsControl))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["reason"] = [$"reason is required: why the experiment is stopped, at most {MaxReasonLength} printable characters"],
            }, title: "The stop is invalid");
        }

        var by = user.FindFirstValue(ClaimTypes.Name) ?? user.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim) ?? "unknown";
        var now = time.GetUtcNow();
        var stop = new ExperimentStop(now.AddTicks(-(now.Ticks % 10)), by, reason);
        var stopped = await store.StopAsync(id, stop, ct);
        if (stopped is null)
        {
            return TypedResults.NotFound();
        }

        if (ReferenceEquals(stopped.Stopped, stop))
        {
            ExperimentTelemetry.Stopped.Add(1);
        }

        return TypedResults.Ok(ExperimentAnalysis.Analyse(stopped));
    }

    static Results<Ok<SampleSizeAnswer>, ValidationProblem> PlanSampleSize(double? baseline, double? target, double? alpha, double? power, bool? twoSided)
    {
        var errors = new Dictionary<string, string[]>();
        if (baseline is not (> 0 and < 1)) errors["baseline"] = ["baseline is required and must lie in (0, 1)"];
        if (target is not (> 0 and < 1)) errors["target"] = ["target is required and must lie in (0, 1)"];
        else if (target == baseline) errors["target"] = ["target must differ from baseline"];
        if (alpha is not null and not (> 0 and < 1)) errors["alpha"] = ["alpha must lie in (0, 1)"];
        if (power is not null and not (> 0 and < 1)) errors["power"] = ["power must lie in (0, 1)"];
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The sample-size question is invalid");
        }

        var a = alpha ?? DefaultAlpha;
        var p = power ?? 0.8;
        var sided = twoSided ?? true;
        return TypedResults.Ok(new SampleSizeAnswer(baseline!.Value, target!.Value, a, p, sided, SampleSize.TwoProportionsPerArm(baseline.Value, target.Value, a, p, sided)));
    }

    internal static Dictionary<string, string[]> Validate(CreateExperimentRequest body)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body.Name)) errors["name"] = ["name is required"];
        if (string.IsNullOrWhiteSpace(body.ModelName) || !NamePattern().IsMatch(body.ModelName.Trim()))
        {
            errors["modelName"] = ["modelName is required: letters, digits, '.', '_' or '-', up to 100 characters"];
        }

        if (body.Arms is not { Count: >= 2 })
        {
            errors["arms"] = ["arms must list at least two arms (the first is the control)"];
        }
        else
        {
            for (var i = 0; i < body.Arms.Count; i++)
            {
                var arm = body.Arms[i];
                if (string.IsNullOrWhiteSpace(arm.Name)) errors[$"arms[{i}].name"] = ["name is required"];
                if (string.IsNullOrWhiteSpace(arm.Variant)) errors[$"arms[{i}].variant"] = ["variant is required (alias or version serving the arm)"];
                if (arm.Weight is not null and not (> 0 and < double.PositiveInfinity)) errors[$"arms[{i}].weight"] = ["weight must be a positive number"];
            }

            if (body.Arms.Where(a => !string.IsNullOrWhiteSpace(a.Name)).GroupBy(a => a.Name!.Trim()).Any(g => g.Count() > 1))
            {
                errors["arms"] = ["arm names must be unique"];
            }
        }

        if (body.Outcome is { } outcome)
        {
            if (outcome.Success is null || !ExperimentSuccess.All.Contains(outcome.Success))
            {
                errors["outcome.success"] = [$"outcome.success must be one of {string.Join(", ", ExperimentSuccess.All)}"];
            }
            else if (outcome.Success == ExperimentSuccess.Correct && outcome.Threshold is not (> 0 and < 1))
            {
                errors["outcome.threshold"] = ["outcome.threshold (the decision threshold, in (0, 1)) is required for outcome.success 'correct'"];
            }
            else if (outcome.Success != ExperimentSuccess.Correct && outcome.Threshold is not null)
            {
                errors["outcome.threshold"] = ["outcome.threshold applies only to outcome.success 'correct'"];
            }
        }

        if (body.Alpha is not null and not (> 0 and < 1)) errors["alpha"] = ["alpha must lie in (0, 1)"];
        if (body.MixingVariance is not null and not (> 0 and < double.PositiveInfinity)) errors["mixingVariance"] = ["mixingVariance (τ²) must be a positive number"];
        return errors;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex NamePattern();
}
