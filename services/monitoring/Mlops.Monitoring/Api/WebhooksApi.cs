using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Mlops.Monitoring.Webhooks;

namespace Mlops.Monitoring.Api;

/// <summary>Webhook subscriptions to alerts and their delivery history.</summary>
public static class WebhooksApi
{
    /// <summary>A subscription request; the secret signs every delivery and is never returned.</summary>
    public sealed record WebhookRequest(string? Url, string? Secret, string[]? EventTypes);

    /// <summary>The alert types a webhook can subscribe to.</summary>
    public static readonly string[] EventTypes = ["DriftDetected", "PerformanceDegraded", "SloBreached", "SloCleared"];

    const int MaxUrlLength = 2048;
    const int MaxSecretLength = 1024;

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/monitoring/webhooks").WithTags("Monitoring");
        api.MapPost("/", Subscribe);
        api.MapGet("/", List);
        api.MapGet("/{webhookId:guid}", Get);
        api.MapDelete("/{webhookId:guid}", Unsubscribe);
        api.MapGet("/{webhookId:guid}/deliveries", Deliveries);
        return routes;
    }

    static async Task<Results<Created<WebhookStore.Subscription>, ValidationProblem>> Subscribe(
        WebhookRequest request, WebhookStore store, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Url))
        {
            errors["url"] = ["url is required"];
        }
        else if (request.Url.Length > MaxUrlLength || !Uri.TryCreate(request.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            errors["url"] = [$"url must be an absolute http or https URL of at most {MaxUrlLength} characters"];
        }

        var minSecret = options.Value.MinSecretLength;
        if (string.IsNullOrEmpty(request.Secret) || request.Secret.Length < minSecret || request.Secret.Length > MaxSecretLength)
        {
            errors["secret"] = [$"secret is required, {minSecret} to {MaxSecretLength} characters"];
        }

        if (request.EventTypes is not { Length: > 0 })
        {
            errors["eventTypes"] = [$"eventTypes needs at least one of {string.Join(", ", EventTypes)}"];
        }
        else if (request.EventTypes.FirstOrDefault(t => !EventTypes.Contains(t)) is { } unknown)
        {
            errors["eventTypes"] = [$"'{unknown}' is not an alert type; use {string.Join(", ", EventTypes)}"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The webhook subscription is invalid");
        }

        var subscription = await store.AddAsync(request.Url!, request.Secret!, request.EventTypes!.Distinct().ToArray(), ct);
        return TypedResults.Created($"/api/monitoring/webhooks/{subscription.WebhookId}", subscription);
    }

    static async Task<Ok<IReadOnlyList<WebhookStore.Subscription>>> List(WebhookStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(null, ct));

    static async Task<Results<Ok<WebhookStore.Subscription>, NotFound>> Get(Guid webhookId, WebhookStore store, CancellationToken ct) =>
        (await store.ListAsync(webhookId, ct)).SingleOrDefault() is { } subscription ? TypedResults.Ok(subscription) : TypedResults.NotFound();

    static async Task<Results<NoContent, NotFound>> Unsubscribe(Guid webhookId, WebhookStore store, CancellationToken ct) =>
        await store.DeleteAsync(webhookId, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    static async Task<Results<Ok<IReadOnlyList<WebhookStore.Delivery>>, ValidationProblem>> Deliveries(
        Guid webhookId, int? limit, WebhookStore store, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["limit must be between 1 and 1000"] });
        }

        return TypedResults.Ok(await store.DeliveriesAsync(webhookId, limit ?? 100, ct));
    }
}
