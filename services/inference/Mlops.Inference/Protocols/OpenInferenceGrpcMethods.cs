using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using System.Diagnostics;
using Grpc.Core;
using Mlops.Inference.Protocols.GrpcInference;
using Mlops.Inference.Telemetry;

namespace Mlops.Inference.Protocols;

/// <summary>
/// Binds <c>inference.GRPCInferenceService</c>'s methods to <see cref="OpenInferenceGrpcService"/> with request
/// marshallers of our own. The generated ones let a body that is not a valid message (truncated, garbage, a bad tag)
/// escape as a parse exception, which gRPC answers UNKNOWN "Exception was thrown by handler" — the protocol's 500 for a
/// caller's mistake. Here it is INVALID_ARGUMENT saying which message could not be read and why.
/// </summary>
public sealed class OpenInferenceGrpcMethods : IServiceMethodProvider<OpenInferenceGrpcService>
{
    // The proto's own name for the service (inference.GRPCInferenceService), as the generated client calls it.
    static readonly string Service = GRPCInferenceService.Descriptor.FullName;

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<OpenInferenceGrpcService> context)
    {
        Add<ServerLiveRequest, ServerLiveResponse>(context, "ServerLive", ServerLiveRequest.Parser, ServerLiveResponse.Parser, (s, r, c) => s.ServerLive(r, c));
        Add<ServerReadyRequest, ServerReadyResponse>(context, "ServerReady", ServerReadyRequest.Parser, ServerReadyResponse.Parser, (s, r, c) => s.ServerReady(r, c));
        Add<ModelReadyRequest, ModelReadyResponse>(context, "ModelReady", ModelReadyRequest.Parser, ModelReadyResponse.Parser, (s, r, c) => s.ModelReady(r, c));
        Add<ServerMetadataRequest, ServerMetadataResponse>(context, "ServerMetadata", ServerMetadataRequest.Parser, ServerMetadataResponse.Parser, (s, r, c) => s.ServerMetadata(r, c));
        Add<ModelMetadataRequest, ModelMetadataResponse>(context, "ModelMetadata", ModelMetadataRequest.Parser, ModelMetadataResponse.Parser, (s, r, c) => s.ModelMetadata(r, c));
        Add<ModelInferRequest, ModelInferResponse>(context, "ModelInfer", ModelInferRequest.Parser, ModelInferResponse.Parser, (s, r, c) => s.ModelInfer(r, c));
    }

    static void Add<TRequest, TResponse>(
        ServiceMethodProviderContext<OpenInferenceGrpcService> context, string name, MessageParser<TRequest> requests, MessageParser<TResponse> responses,
        UnaryServerMethod<OpenInferenceGrpcService, TRequest, TResponse> invoker)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var fullName = $"/{Service}/{name}";
        var method = new Method<TRequest, TResponse>(MethodType.Unary, Service, name, Marshaller(requests, fullName), Marshaller(responses, fullName));
        context.AddUnaryMethod(method, [], invoker);
    }

    static Marshaller<T> Marshaller<T>(MessageParser<T> parser, string fullMethod) where T : class, IMessage<T> => Marshallers.Create<T>(
        (message, serialization) =>
        {
            serialization.SetPayloadLength(message.CalculateSize());
            message.WriteTo(serialization.GetBufferWriter());
            serialization.Complete();
        },
        deserialization =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                return parser.ParseFrom(deserialization.PayloadAsReadOnlySequence());
            }
            catch (InvalidProtocolBufferException e)
            {
                GrpcServerTelemetry.RecordUnreadable(fullMethod, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"The request is not a valid {typeof(T).Name} message: {e.Message}"));
            }
        });
}
