using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Registry;
using Mlops.Inference.Lineage;
using Mlops.Inference.Protocols;
using Mlops.Inference.Protocols.GrpcInference;
using Mlops.Testing;
using static Mlops.Inference.Protocols.GrpcInference.ModelInferRequest.Types;

namespace Mlops.Inference.Tests.Protocols;

/// <summary>
/// The Open Inference Protocol over gRPC (<c>inference.GRPCInferenceService</c>) against the service in process on the
/// real PostgreSQL/Kafka/RabbitMQ: the same answers as the REST protocol for the same rows, metadata and readiness,
/// every bad input refused with the status code and a message naming what is wrong, predictions in the prediction log.
/// </summary>
public sealed class OpenInferenceGrpcTests(OpenInferenceGrpcTests.DefaultModelService service) : IClassFixture<OpenInferenceGrpcTests.DefaultModelService>
{
    /// <summary>One pod serving the v1 test ensemble as <c>deterioration</c>, shared by the tests that only read from it.</summary>
    public sealed class DefaultModelService : IAsyncLifetime
    {
        public InferenceAppFactory Factory { get; } = new();

        public GrpcChannel Channel { get; private set; } = null!;

        public GRPCInferenceService.GRPCInferenceServiceClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            await Factory.ReadyClientAsync();
            Client = OpenInferenceGrpcTests.Client(Factory, out var channel);
            Channel = channel;
        }

        public async Task DisposeAsync()
        {
            Channel.Dispose();
            await Factory.DisposeAsync();
        }
    }

    [Fact]
    public async Task ModelInfer_SameRowsAsRestInfer_EqualOutputsWithPredictionIdsVariantVersionAndLogged()
    {
        var name = PlatformInfrastructure.UniqueName("ensemble10");
        await using var factory = new InferenceAppFactory(withModel: false);
        Deploy(factory.Upstream, name, TrainedModels.Ensemble10, "7");
        var http = await factory.ReadyClientAsync(model: name);
        var client = Client(factory, out var channel);
        using var _ = channel;
        var data = TrainedModels.Data(4, seed: 41);
        // The float rows as doubles, so the REST body carries exactly the values the FP32 tensor does.
        var values = data.Features.Select(v => (double)v).ToArray();

        using var rest = await http.PostAsJsonAsync($"/v2/models/{name}/infer", new
        {
            inputs = new[] { new { name = "features", shape = new[] { 4, 5 }, datatype = "FP32", data = values } },
        });
        var call = client.ModelInferAsync(Request(name, 4, contents: c => c.Fp32Contents.AddRange(data.Features), id: "grpc-7"));
        var answer = await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;

        rest.EnsureSuccessStatusCode();
        var restBody = await rest.Content.ReadFromJsonAsync<JsonElement>();
        var restOutputs = restBody.GetProperty("outputs").EnumerateArray().ToDictionary(
            o => o.GetProperty("name").GetString()!, o => o.GetProperty("data").EnumerateArray().Select(d => d.GetDouble()).ToArray());
        Assert.Equal((name, "7", "grpc-7"), (answer.ModelName, answer.ModelVersion, answer.Id));
        Assert.Equal(["probability", "uncertainty"], answer.Outputs.Select(o => o.Name));
        foreach (var output in answer.Outputs)
        {
            Assert.Equal("FP64", output.Datatype);
            Assert.Equal([4L], output.Shape);
            Assert.Equal(4, output.Contents.Fp64Contents.Count);
            for (var r = 0; r < 4; r++)
            {
                Assert.Equal(restOutputs[output.Name][r], output.Contents.Fp64Contents[r], 1e-9);
            }
        }

        Assert.True(answer.Outputs[1].Contents.Fp64Contents.All(u => u > 0), "a 10-member ensemble answers a spread");
        Assert.Equal("champion", answer.Parameters["variant"].StringParam);
        Assert.Equal("7", headers.GetValue("x-model-version"));
        Assert.Equal("champion", headers.GetValue("x-model-variant"));
        var ids = answer.Parameters["prediction_ids"].StringParam.Split(',');
        Assert.Equal(4, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(7, Guid.Parse(id).Version));

        // Logged as REST predictions are, by the same path, naming the transport.
        var store = factory.Services.GetRequiredService<PredictionLogStore>();
        Mlops.Contracts.Inference.PredictionLogged? logged = null;
        await Eventually.WaitUntilAsync(async () => (logged = await store.FindAsync(ids[2], CancellationToken.None)) is not null, "the gRPC prediction in the log");
        Assert.Equal((name, "7", "champion", PredictionSources.Grpc), (logged!.ModelName, logged.ModelVersion, logged.Variant, logged.Source));
        Assert.Equal(answer.Outputs[0].Contents.Fp64Contents[2], logged.Probability, 1e-12);
    }

    [Fact]
    public async Task ModelInfer_RawInputContentsFp32AndFp64_SameAnswerAsTypedContents()
    {
        var client = service.Client;
        float[] rows = [118, 26, 90, 38.9f, 92, 72, 14, 98, 36.8f, 118];

        var typed = await client.ModelInferAsync(Request("deterioration", 2, contents: c => c.Fp32Contents.AddRange(rows)));
        var raw32 = await client.ModelInferAsync(Request("deterioration", 2, raw: Bytes(rows.SelectMany(BitConverter.GetBytes))));
        var raw64 = await client.ModelInferAsync(Request("deterioration", 2, datatype: "FP64", raw: Bytes(rows.SelectMany(v => BitConverter.GetBytes((double)v)))));
        var typed64 = await client.ModelInferAsync(Request("deterioration", 2, datatype: "FP64", contents: c => c.Fp64Contents.AddRange(rows.Select(v => (double)v))));

        var expected = typed.Outputs[0].Contents.Fp64Contents.ToArray();
        Assert.NotEqual(expected[0], expected[1]);
        foreach (var answer in new[] { raw32, raw64, typed64 })
        {
            Assert.Equal(expected, answer.Outputs[0].Contents.Fp64Contents.ToArray());
            Assert.Equal(typed.Outputs[1].Contents.Fp64Contents.ToArray(), answer.Outputs[1].Contents.Fp64Contents.ToArray());
        }

        // Only the output asked for, by name.
        var only = Request("deterioration", 2, contents: c => c.Fp32Contents.AddRange(rows));
        only.Outputs.Add(new InferRequestedOutputTensor { Name = "uncertainty" });
        Assert.Equal(["uncertainty"], (await client.ModelInferAsync(only)).Outputs.Select(o => o.Name));
    }

    [Fact]
    public async Task MetadataAndReadiness_ServedModel_DescribedAndReady_UnknownModelNotFound()
    {
        var client = service.Client;

        var live = await client.ServerLiveAsync(new ServerLiveRequest());
        var ready = await client.ServerReadyAsync(new ServerReadyRequest());
        var server = await client.ServerMetadataAsync(new ServerMetadataRequest());
        var modelReady = await client.ModelReadyAsync(new ModelReadyRequest { Name = "deterioration" });
        var otherVersionReady = await client.ModelReadyAsync(new ModelReadyRequest { Name = "deterioration", Version = "99" });
        var metadata = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "deterioration" });
        var unknownReady = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelReadyAsync(new ModelReadyRequest { Name = "no-such-model" }));
        var unknownMetadata = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "no-such-model" }));
        var wrongVersion = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "deterioration", Version = "99" }));

        Assert.True(live.Live);
        Assert.True(ready.Ready);
        Assert.Equal(OpenInferenceGrpcService.ServerName, server.Name);
        Assert.False(string.IsNullOrEmpty(server.Version));
        Assert.True(modelReady.Ready);
        Assert.False(otherVersionReady.Ready);
        Assert.Equal(("deterioration", "onnxruntime"), (metadata.Name, metadata.Platform));
        Assert.Equal(["1"], metadata.Versions);
        Assert.Equal(("features", "FP32"), (metadata.Inputs.Single().Name, metadata.Inputs[0].Datatype));
        Assert.Equal([-1L, 5L], metadata.Inputs[0].Shape);
        Assert.Equal(["probability:FP64", "uncertainty:FP64"], metadata.Outputs.Select(o => $"{o.Name}:{o.Datatype}"));
        foreach (var error in new[] { unknownReady, unknownMetadata })
        {
            Assert.Equal(StatusCode.NotFound, error.StatusCode);
            Assert.Contains("'no-such-model' is not served", error.Status.Detail);
        }

        Assert.Equal(StatusCode.NotFound, wrongVersion.StatusCode);
        Assert.Contains("Version '99' of model 'deterioration' is not served", wrongVersion.Status.Detail);
    }

    /// <summary>Each way a request can be wrong: its status code and the words that name the problem.</summary>
    public static TheoryData<string, StatusCode, string> BadRequests => new()
    {
        { "unknown model", StatusCode.NotFound, "Model 'no-such-model' is not served" },
        { "unknown version", StatusCode.NotFound, "Version '99' of model 'deterioration' is not served" },
        { "variant not loaded here", StatusCode.NotFound, "Variant 'shadow' of model 'deterioration' is not served by this pod" },
        { "malformed variant", StatusCode.InvalidArgument, "X-Model-Variant must be a deployment alias" },
        { "no model name", StatusCode.InvalidArgument, "'model_name' is required" },
        { "no inputs", StatusCode.InvalidArgument, "'inputs' is required" },
        { "input named otherwise", StatusCode.InvalidArgument, "got inputs named 'vitals'" },
        { "two inputs", StatusCode.InvalidArgument, "Expected exactly one input" },
        { "datatype INT64", StatusCode.InvalidArgument, "datatype must be FP32 or FP64, not 'INT64'" },
        { "four features", StatusCode.InvalidArgument, "shape must be [N, 5] with N >= 1, not [1, 4]" },
        { "zero rows", StatusCode.InvalidArgument, "shape must be [N, 5] with N >= 1, not [0, 5]" },
        { "too few values", StatusCode.InvalidArgument, "data has 5 values; shape [2, 5] needs 10" },
        { "values in the wrong field", StatusCode.InvalidArgument, "its values belong in contents.fp32_contents (or raw_input_contents), not contents.fp64_contents" },
        { "NaN value", StatusCode.InvalidArgument, "value 2 (row 0, column 2) is NaN; values must be finite numbers" },
        { "raw bytes not whole values", StatusCode.InvalidArgument, "raw_input_contents[0] for input 'features' has 19 bytes, not a whole number of 4-byte FP32 values" },
        { "raw and typed values", StatusCode.InvalidArgument, "has values both in contents (fp32_contents) and in raw_input_contents" },
        { "two raw entries for one input", StatusCode.InvalidArgument, "raw_input_contents has 2 entries; it needs one per input (1)" },
        { "unknown output", StatusCode.InvalidArgument, "Unknown output 'logits'" },
        { "id with a control character", StatusCode.InvalidArgument, "id" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task ModelInfer_BadRequest_StatusCodeNamingTheProblem(string scenario, StatusCode code, string message)
    {
        var client = service.Client;
        var (request, variant) = Bad(scenario);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.ModelInferAsync(request, variant is null ? null : new Metadata { { "x-model-variant", variant } }));

        Assert.Equal(code, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelInfer_Calls_ServerSpanCarriesRpcAttributesAndDurationCountsStatusCode()
    {
        var spans = new List<Activity>();
        var measured = new List<(string Method, int Status)>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (spans)
                {
                    spans.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(activities);
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "rpc.server.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            var all = tags.ToArray().ToDictionary(t => t.Key, t => t.Value);
            lock (measured)
            {
                measured.Add(((string)all["rpc.method"]!, (int)all["rpc.grpc.status_code"]!));
            }
        });
        meters.Start();
        var client = service.Client;

        await client.ModelInferAsync(Request("deterioration", 1, contents: c => c.Fp32Contents.AddRange([118, 26, 90, 38.9f, 92])));
        await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(Request("deterioration", 1, contents: c => c.Fp32Contents.AddRange([1, 2]))));
        lock (measured)
        {
            Assert.Contains(("ModelInfer", (int)StatusCode.OK), measured);
            Assert.Contains(("ModelInfer", (int)StatusCode.InvalidArgument), measured);
            measured.Clear();
        }

        // A body that is not a ModelInferRequest is refused by the request marshaller, before any interceptor: still counted.
        var raw = new Method<byte[], byte[]>(MethodType.Unary, "inference.GRPCInferenceService", "ModelInfer", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        var trace = ActivityTraceId.CreateRandom();
        var headers = new Metadata { { "traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01" } };
        var unreadable = await Assert.ThrowsAsync<RpcException>(async () =>
            await service.Channel.CreateCallInvoker().AsyncUnaryCall(raw, null, new CallOptions(headers), [0x0A, 0xFF, 0xFF]));
        Assert.Equal(StatusCode.InvalidArgument, unreadable.StatusCode);
        lock (measured)
        {
            Assert.Contains(("ModelInfer", (int)StatusCode.InvalidArgument), measured);
        }

        lock (spans)
        {
            var infer = spans.Where(s => (string?)s.GetTagItem("rpc.method") == "ModelInfer").ToList();
            Assert.Contains(infer, s => (int?)s.GetTagItem("rpc.grpc.status_code") == (int)StatusCode.OK && s.Status != ActivityStatusCode.Error);
            // The caller's mistake is not a server error, as a REST 400 is not.
            Assert.Contains(infer, s => (int?)s.GetTagItem("rpc.grpc.status_code") == (int)StatusCode.InvalidArgument && s.Status != ActivityStatusCode.Error);
            Assert.All(infer, s => Assert.Equal(("grpc", "inference.GRPCInferenceService"), ((string?)s.GetTagItem("rpc.system"), (string?)s.GetTagItem("rpc.service"))));
            Assert.Contains(infer, s => s.TraceId == trace && (int?)s.GetTagItem("rpc.grpc.status_code") == (int)StatusCode.InvalidArgument);
        }
    }

    static (ModelInferRequest Request, string? Variant) Bad(string scenario)
    {
        float[] row = [118, 26, 90, 38.9f, 92];
        var valid = Request("deterioration", 1, contents: c => c.Fp32Contents.AddRange(row));
        switch (scenario)
        {
            case "unknown model":
                valid.ModelName = "no-such-model";
                return (valid, null);
            case "unknown version":
                valid.ModelVersion = "99";
                return (valid, null);
            case "variant not loaded here":
                return (valid, ModelAliases.Shadow);
            case "malformed variant":
                return (valid, "Not A Variant!");
            case "no model name":
                valid.ModelName = "";
                return (valid, null);
            case "no inputs":
                valid.Inputs.Clear();
                return (valid, null);
            case "input named otherwise":
                valid.Inputs[0].Name = "vitals";
                return (valid, null);
            case "two inputs":
                valid.Inputs.Add(valid.Inputs[0].Clone());
                return (valid, null);
            case "datatype INT64":
                valid.Inputs[0].Datatype = "INT64";
                return (valid, null);
            case "four features":
                return (Request("deterioration", 1, width: 4, contents: c => c.Fp32Contents.AddRange(row[..4])), null);
            case "zero rows":
                return (Request("deterioration", 0, contents: _ => { }), null);
            case "too few values":
                return (Request("deterioration", 2, contents: c => c.Fp32Contents.AddRange(row)), null);
            case "values in the wrong field":
                return (Request("deterioration", 1, contents: c => c.Fp64Contents.AddRange(row.Select(v => (double)v))), null);
            case "NaN value":
                return (Request("deterioration", 1, contents: c => c.Fp32Contents.AddRange([118, 26, float.NaN, 38.9f, 92])), null);
            case "raw bytes not whole values":
                return (Request("deterioration", 1, raw: Bytes(new byte[19])), null);
            case "raw and typed values":
                valid.RawInputContents.Add(Bytes(row.SelectMany(BitConverter.GetBytes)));
                return (valid, null);
            case "two raw entries for one input":
                var raw = Request("deterioration", 1, raw: Bytes(row.SelectMany(BitConverter.GetBytes)));
                raw.RawInputContents.Add(raw.RawInputContents[0]);
                return (raw, null);
            case "unknown output":
                valid.Outputs.Add(new InferRequestedOutputTensor { Name = "logits" });
                return (valid, null);
            case "id with a control character":
                valid.Id = "request\u0001";
                return (valid, null);
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null);
        }
    }

    static ModelInferRequest Request(string model, int rows, Action<InferTensorContents>? contents = null, ByteString? raw = null, string datatype = "FP32", int width = 5, string? id = null)
    {
        var input = new InferInputTensor { Name = "features", Datatype = datatype, Shape = { rows, width } };
        if (contents is not null)
        {
            input.Contents = new InferTensorContents();
            contents(input.Contents);
        }

        var request = new ModelInferRequest { ModelName = model, Inputs = { input } };
        if (raw is not null)
        {
            request.RawInputContents.Add(raw);
        }

        if (id is not null)
        {
            request.Id = id;
        }

        return request;
    }

    static ByteString Bytes(IEnumerable<byte> bytes) => ByteString.CopyFrom([.. bytes]);

    /// <summary>A client over the in-process test server (which speaks HTTP/2 semantics, trailers included).</summary>
    static GRPCInferenceService.GRPCInferenceServiceClient Client(InferenceAppFactory factory, out GrpcChannel channel)
    {
        channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        return new GRPCInferenceService.GRPCInferenceServiceClient(channel);
    }

    static void Deploy(ArtifactServer registry, string name, Mlops.Training.Algorithms.IBinaryClassifier model, string version)
    {
        var export = TrainedModels.Export(model, name);
        registry.Serve(export.Sha256, export.Bytes);
        registry.Deploy(name, revision: 10, new TrafficRoute { Alias = "champion", Version = version, ArtifactSha256 = export.Sha256, TrafficPercent = 100 });
    }
}
