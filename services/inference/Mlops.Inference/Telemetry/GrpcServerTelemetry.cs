using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Mlops.Inference.Telemetry;

/// <summary>
/// Names gRPC calls in traces and metrics. A gRPC call is one HTTP/2 request, so the ASP.NET Core instrumentation
/// already opens its server span and counts it in <c>http.server.request.duration</c> — but always with HTTP status
/// 200, because a gRPC failure travels in the trailers. This adds the RPC semantic conventions' attributes
/// (<c>rpc.system</c>, <c>rpc.service</c>, <c>rpc.method</c>, <c>rpc.grpc.status_code</c>) to that span, marks it an
/// error for a server fault, and records <c>rpc.server.duration</c> by status code, so a dashboard sees gRPC errors.
/// </summary>
public sealed class GrpcServerTelemetry : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.OK;
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException ex)
        {
            status = ex.StatusCode;
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            status = StatusCode.Cancelled;
            throw;
        }
        catch (Exception)
        {
            // Grpc.AspNetCore answers an unhandled exception with UNKNOWN.
            status = StatusCode.Unknown;
            throw;
        }
        finally
        {
            Record(context.Method, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>
    /// Counts a call whose request could not be read as its message. The marshaller refuses it before any interceptor
    /// runs, so without this the refusal would show in no gRPC metric.
    /// </summary>
    public static void RecordUnreadable(string fullMethod, double milliseconds) => Record(fullMethod, StatusCode.InvalidArgument, milliseconds);

    static void Record(string fullMethod, StatusCode status, double milliseconds)
    {
        // "/inference.GRPCInferenceService/ModelInfer" -> service, method.
        var slash = fullMethod.LastIndexOf('/');
        var service = slash > 0 ? fullMethod[1..slash] : fullMethod;
        var method = slash >= 0 ? fullMethod[(slash + 1)..] : fullMethod;
        if (Activity.Current is { } activity)
        {
            activity.SetTag("rpc.system", "grpc");
            activity.SetTag("rpc.service", service);
            activity.SetTag("rpc.method", method);
            activity.SetTag("rpc.grpc.status_code", (int)status);
            if (IsServerFault(status))
            {
                activity.SetStatus(ActivityStatusCode.Error, status.ToString());
            }
        }

        InferenceTelemetry.RpcServerDuration.Record(milliseconds,
        [
            new("rpc.system", "grpc"),
            new("rpc.service", service),
            new("rpc.method", method),
            new("rpc.grpc.status_code", (int)status),
        ]);
    }

    // Client errors (INVALID_ARGUMENT, NOT_FOUND, …) are the caller's, as a 4xx is for REST: not a server span error.
    static bool IsServerFault(StatusCode status) =>
        status is StatusCode.Unknown or StatusCode.Internal or StatusCode.Unavailable or StatusCode.DataLoss or StatusCode.Unimplemented or StatusCode.DeadlineExceeded;
}
