using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Gateway.Security;

namespace Mlops.Gateway.Dashboard;

/// <summary>
/// What the dashboard reads from the gateway itself: every service's status (<c>GET /api/gateway/dashboard/services</c>)
/// and the live feed as Server-Sent Events (<c>GET /api/gateway/dashboard/events</c>): a <c>snapshot</c> event after each
/// poll (services, and the version of each watched list). Any key may read both.
/// </summary>
public static class DashboardApi
{
    public const string EventsPath = "/api/gateway/dashboard/events";

    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/gateway/dashboard").WithTags("Dashboard").RequireAuthorization(Roles.AnyKeyPolicy);
        api.MapGet("/services", ServicesAsync)
            .WithSummary("Every service's readiness, requests and 5xx answers (totals and per second)");
        api.MapGet("/events", Events)
            .WithSummary("Live feed (text/event-stream)")
            .WithDescription("A 'snapshot' event after every poll while the stream is open: each service's status and the version of each watched list (rollouts, models, runs, alerts, retraining); a version that moved means that list changed.");
        return routes;
    }

    static async Task<Ok<FeedSnapshot>> ServicesAsync(DashboardFeed feed, CancellationToken ct) => TypedResults.Ok(await feed.CurrentAsync(ct));

    static ServerSentEventsResult<FeedSnapshot> Events(DashboardFeed feed, CancellationToken ct) =>
        TypedResults.ServerSentEvents(StreamAsync(feed, ct));

    static async IAsyncEnumerable<SseItem<FeedSnapshot>> StreamAsync(DashboardFeed feed, [EnumeratorCancellation] CancellationToken ct)
    {
        using var subscription = feed.Subscribe();
        var snapshot = await feed.CurrentAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            yield return new SseItem<FeedSnapshot>(snapshot, "snapshot") { EventId = snapshot.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            try
            {
                await feed.WaitForNewerAsync(snapshot.Sequence, ct);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            snapshot = feed.Latest ?? snapshot;
        }
    }
}
