using Microsoft.AspNetCore.Http.HttpResults;

namespace Mlops.Monitoring.Api;

/// <summary>Outcome-based performance per model, version and variant over time, and the history of every alert.</summary>
public static class PerformanceApi
{
    const int MaxLimit = 1000;
    static readonly string[] AlertTypes = WebhooksApi.EventTypes;

    public static IEndpointRouteBuilder MapPerformanceApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/monitoring").WithTags("Monitoring");
        api.MapGet("/models/{model}/performance", ListWindows);
        api.MapGet("/performance/{windowId:long}", GetWindow);
        api.MapGet("/alerts", ListAlerts);
        return routes;
    }

    static async Task<Results<Ok<IReadOnlyList<PerformanceReportReader.PerformanceWindow>>, ValidationProblem>> ListWindows(
        string model, string? version, string? variant, DateTimeOffset? from, DateTimeOffset? to, int? limit,
        PerformanceReportReader reports, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (from is not null && to is not null && from > to)
        {
            errors["from"] = ["from must not be after to"];
        }

        CheckLimit(limit, errors);
        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors, title: "The performance query is invalid")
            : TypedResults.Ok(await reports.ListAsync(new(model, version, variant, from, to, limit ?? 100), ct));
    }

    static async Task<Results<Ok<PerformanceReportReader.PerformanceWindow>, NotFound>> GetWindow(long windowId, PerformanceReportReader reports, CancellationToken ct) =>
        await reports.GetAsync(windowId, ct) is { } window ? TypedResults.Ok(window) : TypedResults.NotFound();

    static async Task<Results<Ok<IReadOnlyList<PerformanceReportReader.AlertEntry>>, ValidationProblem>> ListAlerts(
        string? model, string? type, DateTimeOffset? from, int? limit, PerformanceReportReader reports, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (type is not null && !AlertTypes.Contains(type))
        {
            errors["type"] = [$"'{type}' is not an alert type; use {string.Join(" or ", AlertTypes)}"];
        }

        CheckLimit(limit, errors);
        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors, title: "The alert query is invalid")
            : TypedResults.Ok(await reports.AlertsAsync(model, type, from, limit ?? 100, ct));
    }

    static void CheckLimit(int? limit, Dictionary<string, string[]> errors)
    {
        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}"];
        }
    }
}
