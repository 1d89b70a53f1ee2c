using System.Buffers.Binary;
using System.Reflection;
using Grpc.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mlops.Inference.Api;
using Mlops.Inference.Lineage;
using Mlops.Inference.Models;
using Mlops.Inference.Protocols.GrpcInference;
using Mlops.Inference.Scoring;

namespace Mlops.Inference.Protocols;

/// <summary>
/// The Open Inference Protocol (KServe v2) over gRPC, <c>inference.GRPCInferenceService</c>, on the HTTP/2 port
/// <c>Inference:Grpc:Url</c>. The same rules, predictor and prediction log as the REST protocol
/// (<see cref="OpenInferenceScoring"/>); this class reads protobuf tensors — <c>contents</c> (FP32 or FP64) or
/// <c>raw_input_contents</c> (little-endian) — and answers FP64 <c>fp64_contents</c>, the precision the service
/// computes in. Predictions carry <c>prediction_ids</c> (comma-separated, one per row) and <c>variant</c> as response
/// parameters, and the <c>x-model-version</c>/<c>x-model-variant</c> headers as REST does. Bad input is
/// INVALID_ARGUMENT and an unknown model, version or variant NOT_FOUND, each with a message naming what is wrong.
/// Its methods are bound by <see cref="OpenInferenceGrpcMethods"/> rather than the generated base class, so that a
/// request that is not a valid protobuf message is INVALID_ARGUMENT too.
/// </summary>
public sealed class OpenInferenceGrpcService(ModelCatalog catalog, Predictor predictor, PredictionLog log, HealthCheckService health)
{
    /// <summary>The name the server metadata reports.</summary>
    public const string ServerName = "mlops-inference";

    static readonly string ServerVersion =
        typeof(OpenInferenceGrpcService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public async Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        new() { Ready = await OpenInferenceScoring.ServerReadyAsync(health, context.CancellationToken) };

    public Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
    {
        RequireName(request.Name, "name");
        Throw(OpenInferenceScoring.ModelReady(catalog, request.Name, request.Version, out var ready));
        return Task.FromResult(new ModelReadyResponse { Ready = ready });
    }

    public Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = ServerName, Version = ServerVersion });

    public Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        RequireName(request.Name, "name");
        Throw(OpenInferenceScoring.Metadata(catalog, request.Name, request.Version, out var metadata));
        var response = new ModelMetadataResponse { Name = metadata!.Name, Platform = metadata.Platform, Versions = { metadata.Versions } };
        response.Inputs.AddRange(metadata.Inputs.Select(Tensor));
        response.Outputs.AddRange(metadata.Outputs.Select(Tensor));
        return Task.FromResult(response);
    }

    public async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        RequireName(request.ModelName, "model_name");
        var scoring = new OipScoringRequest
        {
            ModelName = request.ModelName,
            ModelVersion = request.ModelVersion,
            Id = request.Id is { Length: > 0 } id ? id : null,
            Variant = context.RequestHeaders.GetValue(InferenceApi.ModelVariantHeader.ToLowerInvariant()),
            Inputs = [.. request.Inputs.Select(i => new OipInputTensor(i.Name, i.Datatype, i.Shape))],
            Outputs = [.. request.Outputs.Select(o => o.Name)],
        };
        var scored = await OpenInferenceScoring.ScoreAsync(
            scoring, (index, input, values) => ReadValues(request, index, input, values), catalog, predictor, log, PredictionSources.Grpc, context.CancellationToken);
        Throw(scored.Problem);

        var first = scored.Results[0];
        InferenceApi.SetModelHeaders(context.GetHttpContext().Response, first);
        var response = new ModelInferResponse { ModelName = request.ModelName, ModelVersion = first.ModelVersion, Id = request.Id };
        response.Parameters["prediction_ids"] = new InferParameter { StringParam = string.Join(',', scored.Results.Select(r => r.PredictionId)) };
        response.Parameters["variant"] = new InferParameter { StringParam = first.Variant };
        foreach (var output in scored.Outputs)
        {
            var tensor = new ModelInferResponse.Types.InferOutputTensor
            {
                Name = output,
                Datatype = OpenInferenceScoring.Fp64,
                Shape = { scored.Results.Count },
                Contents = new InferTensorContents(),
            };
            tensor.Contents.Fp64Contents.AddRange(scored.Values(output));
            response.Outputs.Add(tensor);
        }

        return response;
    }

    /// <summary>The input's values from its <c>contents</c> field of its datatype, or from <c>raw_input_contents</c>.</summary>
    static string? ReadValues(ModelInferRequest request, int index, OipInputTensor header, List<double> values)
    {
        var input = request.Inputs[index];
        var contents = input.Contents;
        var filled = Filled(contents);
        if (request.RawInputContents.Count > 0)
        {
            if (request.RawInputContents.Count != request.Inputs.Count)
            {
                return $"raw_input_contents has {request.RawInputContents.Count} entries; it needs one per input ({request.Inputs.Count}), in the order of inputs.";
            }

            if (filled.Count > 0)
            {
                return $"Input '{header.Name}' has values both in contents ({string.Join(", ", filled)}) and in raw_input_contents; send them in one of the two.";
            }

            return ReadRaw(request.RawInputContents[index].Span, index, header, values);
        }

        var expected = header.Datatype == OpenInferenceScoring.Fp32 ? "fp32_contents" : "fp64_contents";
        if (filled.FirstOrDefault(f => f != expected) is { } other)
        {
            return $"Input '{header.Name}' is {header.Datatype}: its values belong in contents.{expected} (or raw_input_contents), not contents.{other}.";
        }

        if (header.Datatype == OpenInferenceScoring.Fp32)
        {
            foreach (var value in contents.Fp32Contents)
            {
                values.Add(value);
            }
        }
        else
        {
            values.AddRange(contents.Fp64Contents);
        }

        return Finite(header, values);
    }

    static string? ReadRaw(ReadOnlySpan<byte> raw, int index, OipInputTensor header, List<double> values)
    {
        var size = header.Datatype == OpenInferenceScoring.Fp32 ? sizeof(float) : sizeof(double);
        if (raw.Length % size != 0)
        {
            return $"raw_input_contents[{index}] for input '{header.Name}' has {raw.Length} bytes, not a whole number of {size}-byte {header.Datatype} values.";
        }

        // The protocol fixes little-endian, whatever this machine's byte order.
        for (var offset = 0; offset < raw.Length; offset += size)
        {
            values.Add(size == sizeof(float)
                ? BinaryPrimitives.ReadSingleLittleEndian(raw[offset..])
                : BinaryPrimitives.ReadDoubleLittleEndian(raw[offset..]));
        }

        return Finite(header, values);
    }

    static string? Finite(OipInputTensor header, List<double> values)
    {
        var width = header.Shape is { Count: 2 } shape ? (int)shape[1] : 1;
        for (var i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                return $"Input '{header.Name}' value {i} (row {i / width}, column {i % width}) is {values[i]}; values must be finite numbers.";
            }
        }

        return null;
    }

    static List<string> Filled(InferTensorContents? contents)
    {
        var filled = new List<string>();
        if (contents is null)
        {
            return filled;
        }

        void Check(int count, string field)
        {
            if (count > 0)
            {
                filled.Add(field);
            }
        }

        Check(contents.BoolContents.Count, "bool_contents");
        Check(contents.IntContents.Count, "int_contents");
        Check(contents.Int64Contents.Count, "int64_contents");
        Check(contents.UintContents.Count, "uint_contents");
        Check(contents.Uint64Contents.Count, "uint64_contents");
        Check(contents.Fp32Contents.Count, "fp32_contents");
        Check(contents.Fp64Contents.Count, "fp64_contents");
        Check(contents.BytesContents.Count, "bytes_contents");
        return filled;
    }

    static ModelMetadataResponse.Types.TensorMetadata Tensor(OipTensorMetadata tensor) =>
        new() { Name = tensor.Name, Datatype = tensor.Datatype, Shape = { tensor.Shape } };

    static void RequireName(string name, string field)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"'{field}' is required: the name of a model this pod serves."));
        }
    }

    static void Throw(OipProblem? problem)
    {
        if (problem is not null)
        {
            throw new RpcException(new Status(problem.Kind switch
            {
                OipProblemKind.InvalidArgument => StatusCode.InvalidArgument,
                OipProblemKind.Conflict => StatusCode.FailedPrecondition,
                _ => StatusCode.NotFound,
            }, problem.Message));
        }
    }
}
