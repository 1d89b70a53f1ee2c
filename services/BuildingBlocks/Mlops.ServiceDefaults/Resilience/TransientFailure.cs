using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Mlops.ServiceDefaults.Resilience;

/// <summary>
/// Tells a dependency that did not answer (database, broker, another service, a timeout) from a failure that will
/// happen again on the same input. Transient failures are waited out — pause, back off, retry the same work — and
/// never turn a valid record into a dead letter or a valid request into a 4xx/500. Building blocks add rules for
/// their own clients with <see cref="Register"/> (the Kafka block adds broker errors).
/// </summary>
public static class TransientFailure
{
    static ImmutableArray<Func<Exception, bool>> _rules = [];

    /// <summary>
    /// Adds a rule: an exception for which it returns true is transient. Rules see every exception in the chain
    /// (inner exceptions, aggregate members), so a rule matches the client's own exception type only.
    /// </summary>
    public static void Register(Func<Exception, bool> rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ImmutableInterlocked.Update(ref _rules, rules => rules.Add(rule));
    }

    /// <summary>
    /// Whether <paramref name="exception"/> (or anything it wraps) means a dependency did not answer. A cancellation is
    /// transient only when it is not the <paramref name="shutdown"/> token's: a timeout cancels too, a stopping host
    /// is not a failure at all.
    /// </summary>
    public static bool Is(Exception? exception, CancellationToken shutdown = default)
    {
        if (exception is null)
        {
            return false;
        }

        if (exception is OperationCanceledException)
        {
            return !shutdown.IsCancellationRequested;
        }

        if (IsTransientItself(exception))
        {
            return true;
        }

        if (exception is AggregateException aggregate)
        {
            return aggregate.InnerExceptions.Any(inner => Is(inner, shutdown));
        }

        return Is(exception.InnerException, shutdown);
    }

    /// <summary>Which kind of dependency the failure points at, for messages: "database", "service", "broker", or "dependency".</summary>
    public static string DependencyOf(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case NpgsqlException:
                    return "database";
                case HttpRequestException:
                    return "service";
            }

            if (e.GetType().Namespace?.StartsWith("Confluent.Kafka", StringComparison.Ordinal) == true)
            {
                return "broker";
            }
        }

        return "dependency";
    }

    static bool IsTransientItself(Exception exception)
    {
        switch (exception)
        {
            case NpgsqlException npgsql when npgsql.IsTransient:
            case SocketException:
            case TimeoutException:
                return true;
            case HttpRequestException http:
                // No status: the connection failed. A status: only the server's own trouble (and throttling) clears by waiting.
                return http.StatusCode is null
                    or HttpStatusCode.RequestTimeout
                    or HttpStatusCode.TooManyRequests
                    or >= HttpStatusCode.InternalServerError;
        }

        foreach (var rule in _rules)
        {
            if (rule(exception))
            {
                return true;
            }
        }

        return false;
    }
}
