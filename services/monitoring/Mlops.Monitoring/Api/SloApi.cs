using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Monitoring.Settings;
using Mlops.Monitoring.Slo;

namespace Mlops.Monitoring.Api;

/// <summary>Every model version's SLOs now, against its model's objectives: burn rates over each alert rule's windows, and which rules fire.</summary>
public static class SloApi
{
    public static IEndpointRouteBuilder MapSloApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/monitoring/slo").WithTags("Monitoring");
        api.MapGet("/", ListAll);
        api.MapGet("/{model}", ListModel);
        return routes;
    }

    static async Task<Ok<IReadOnlyList<SloStatus>>> ListAll(SloStore store, ModelSettingsStore settings, TimeProvider clock, CancellationToken ct)
    {
        var objectives = await settings.SloObjectivesAsync(ct);
        await using var connection = await store.OpenAsync(ct);
        return TypedResults.Ok(await store.StatusAsync(connection, null, clock.GetUtcNow(), ct, objectives));
    }

    static async Task<Results<Ok<IReadOnlyList<SloStatus>>, NotFound<string>>> ListModel(
        string model, SloStore store, ModelSettingsStore settings, TimeProvider clock, CancellationToken ct)
    {
        var objectives = await settings.SloObjectivesAsync(ct);
        await using var connection = await store.OpenAsync(ct);
        var statuses = await store.StatusAsync(connection, model, clock.GetUtcNow(), ct, objectives);
        return statuses.Count > 0
            ? TypedResults.Ok(statuses)
            : TypedResults.NotFound($"no inference counters of model '{model}' were read within the SLO retention");
    }
}
