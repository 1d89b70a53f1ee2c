using Microsoft.AspNetCore.Mvc;
using Yarp.ReverseProxy.Forwarder;

namespace Mlops.Gateway.Resilience;

/// <summary>
/// A service behind the gateway that cannot be reached (connection refused or reset before it answered, no
/// destination, a timeout) is a transient failure of that service, as a database that does not answer is for an
/// intake: the client gets 503 with <c>Retry-After</c> and a ProblemDetails naming the service, never a bare 502/504
/// that a client could take for a bug. Measured by the chaos tests: a SIGKILLed ingestion behind the gateway answered
/// 502 to 42 requests during its restart.
/// </summary>
internal static class UnreachableServiceAnswer
{
    /// <summary>Seconds a client should wait before sending again; a restarting service is back within seconds.</summary>
    public const int RetryAfterSeconds = 2;

    /// <summary>Rewrites the forwarder's answer when the destination could not be reached.</summary>
    public static IReverseProxyApplicationBuilder UseUnreachableServiceAnswer(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use(AnswerAsync);
        return proxy;
    }

    static async Task AnswerAsync(HttpContext context, Func<Task> next)
    {
        await next();
        var failure = context.GetForwarderErrorFeature();
        if (failure is null || context.Response.HasStarted || !Unreachable(failure.Error))
        {
            return;
        }

        var service = context.GetReverseProxyFeature().Route.Config.ClusterId ?? "service";
        context.Response.Clear();
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Service unavailable",
            Detail = $"The {service} service did not answer ({failure.Error}); send the request again after {RetryAfterSeconds} s.",
            Extensions = { ["dependency"] = "service", ["service"] = service },
        };
        var writer = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await writer.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    // Failures before the destination sent a response; once it has answered, its own status stands.
    static bool Unreachable(ForwarderError error) => error is ForwarderError.Request or ForwarderError.RequestTimedOut
        or ForwarderError.ResponseHeaders or ForwarderError.NoAvailableDestinations;
}
