using System.Buffers.Binary;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mlops.Contracts.Registry;
using Mlops.Inference.Protocols.GrpcInference;
using Xunit.Abstractions;
using static Mlops.Inference.Protocols.GrpcInference.ModelInferRequest.Types;

namespace Mlops.Inference.Tests.Corpus;

/// <summary>
/// Generated bad calls of the Open Inference Protocol's gRPC <c>ModelInfer</c> (as the REST corpus does for the HTTP
/// routes): every one must fail with a status that says the caller is wrong (InvalidArgument, NotFound,
/// FailedPrecondition, ResourceExhausted) and a message that names what is wrong; none may be answered with a
/// prediction, and none with Internal or Unknown — the gRPC form of a 5xx.
/// </summary>
public sealed class GrpcInferenceBadInputCorpusTests(ITestOutputHelper output) : IAsyncLifetime
{
    const string Model = "deterioration";

    static readonly StatusCode[] CallerErrors = [StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.FailedPrecondition, StatusCode.ResourceExhausted];

    // The service's method with the request as raw bytes, for bodies that are not a valid ModelInferRequest at all.
    static readonly Method<byte[], byte[]> RawModelInfer = new(
        MethodType.Unary, "inference.GRPCInferenceService", "ModelInfer", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));

    static readonly float[] Row = [118, 26, 90, 38.9f, 92];

    readonly InferenceAppFactory _factory = new();
    GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        await _factory.ReadyClientAsync();
        _channel = GrpcChannel.ForAddress(_factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _factory.Server.CreateHandler() });
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _factory.DisposeAsync();
    }

    /// <summary>One bad call: the request (or raw bytes), an optional variant header, and the word its refusal must contain.</summary>
    sealed record Case(string Name, string Mentions, ModelInferRequest? Request = null, byte[]? Raw = null, string? Variant = null);

    [Fact]
    public async Task BadCalls_ModelInfer_AreRefusedWithACallerErrorNamingWhatIsWrong()
    {
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
        var invoker = _channel.CreateCallInvoker();
        var cases = Cases().ToList();
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var headers = c.Variant is null ? null : new Metadata { { "x-model-variant", c.Variant } };
            try
            {
                if (c.Raw is { } raw)
                {
                    await invoker.AsyncUnaryCall(RawModelInfer, null, new CallOptions(headers), raw);
                }
                else
                {
                    await client.ModelInferAsync(c.Request!, headers);
                }

                failures.Add($"{c.Name}: answered OK");
            }
            catch (RpcException e)
            {
                if (!CallerErrors.Contains(e.StatusCode))
                {
                    failures.Add($"{c.Name}: {e.StatusCode} {e.Status.Detail}");
                }
                else if (!e.Status.Detail.Contains(c.Mentions, StringComparison.OrdinalIgnoreCase))
                {
                    failures.Add($"{c.Name}: {e.StatusCode} does not mention '{c.Mentions}': {e.Status.Detail}");
                }
            }
        }

        output.WriteLine($"{cases.Count} cases, {cases.Count - failures.Count} refused naming what is wrong, {failures.Count} failed");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));
        Assert.True(cases.Count >= 200, $"the corpus has only {cases.Count} cases");
    }

    static ModelInferRequest Valid(string datatype = "FP32", long[]? shape = null, Action<InferTensorContents>? contents = null)
    {
        var input = new InferInputTensor { Name = "features", Datatype = datatype, Shape = { shape ?? [1, 5] }, Contents = new InferTensorContents() };
        (contents ?? (c => c.Fp32Contents.AddRange(Row)))(input.Contents);
        return new ModelInferRequest { ModelName = Model, Inputs = { input } };
    }

    static ModelInferRequest With(Action<ModelInferRequest> change, ModelInferRequest? start = null)
    {
        var request = start ?? Valid();
        change(request);
        return request;
    }

    static IEnumerable<Case> Cases()
    {
        // The model and its version.
        foreach (var (name, label) in new[]
        {
            ("", "empty"), ("no-such-model", "unknown"), ("DETERIORATION", "other case"), ("deterioration ", "trailing space"), ("../deterioration", "a path"),
            ("deter\u0000ioration", "NUL"), ("deter\u0001ioration", "U+0001"), ("deterioration\n", "newline"), (new string('m', 300), "300 characters"), ("模型", "not ASCII"),
        })
        {
            yield return new($"model_name {label}", "model", With(r => r.ModelName = name));
        }

        foreach (var (version, label) in new[] { ("99", "unknown"), ("0", "zero"), ("-1", "negative"), ("v1", "a word"), ("1\u0000", "NUL"), (new string('9', 300), "300 digits") })
        {
            yield return new($"model_version {label}", "version", With(r => r.ModelVersion = version));
        }

        // The request id: every control character, and DEL.
        foreach (var code in Enumerable.Range(0, 32).Append(0x7F))
        {
            yield return new($"id with U+{code:X4}", "id", With(r => r.Id = $"req{(char)code}1"));
        }

        // The variant header.
        yield return new("variant shadow not loaded here", "variant", Valid(), Variant: ModelAliases.Shadow);
        foreach (var (variant, label) in new[] { ("Not A Variant!", "spaces and punctuation"), ("CHAMPION", "upper case"), (new string('v', 200), "200 characters"), ("champion;drop", "a semicolon") })
        {
            yield return new($"variant {label}", "variant", Valid(), Variant: variant);
        }

        // The inputs and their names.
        yield return new("no inputs", "inputs", With(r => r.Inputs.Clear()));
        yield return new("two inputs", "input", With(r => r.Inputs.Add(r.Inputs[0].Clone())));
        yield return new("three inputs", "input", With(r => { r.Inputs.Add(r.Inputs[0].Clone()); r.Inputs.Add(r.Inputs[0].Clone()); }));
        foreach (var (name, label) in new[] { ("", "empty"), ("vitals", "another"), ("Features", "other case"), ("features ", "trailing space"), ("feat\u0000ures", "NUL"), (new string('f', 300), "300 characters") })
        {
            yield return new($"input name {label}", "input", With(r => r.Inputs[0].Name = name));
        }

        // Datatypes: every other one the protocol defines, and near misses of FP32.
        foreach (var datatype in new[] { "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "BF16", "BYTES", "", "fp32", "Fp32", "FP 32", "FP32\u0000", "FLOAT" })
        {
            yield return new($"datatype '{datatype}'", "datatype", With(r => r.Inputs[0].Datatype = datatype));
        }

        // Shapes.
        foreach (var (shape, label) in new (long[], string)[]
        {
            ([], "empty"), ([5], "one dimension"), ([1, 4], "four columns"), ([1, 6], "six columns"), ([0, 5], "zero rows"), ([-1, 5], "negative rows"),
            ([1, -5], "negative columns"), ([1, 5, 1], "three dimensions"), ([1, 0], "zero columns"), ([long.MaxValue, 5], "long.MaxValue rows"),
            ([1_000_000_000, 5], "a billion rows"), ([5, 1], "transposed"),
        })
        {
            yield return new($"shape {label}", "shape", With(r => { r.Inputs[0].Shape.Clear(); r.Inputs[0].Shape.AddRange(shape); }));
        }

        // Value counts that do not fill the shape, as FP32 and FP64.
        foreach (var count in new[] { 0, 1, 2, 3, 4, 6, 7, 9, 10, 11 })
        {
            var values = Enumerable.Range(0, count).Select(i => (float)(80 + i)).ToArray();
            yield return new($"FP32 {count} values for [1, 5]", "values", Valid(contents: c => c.Fp32Contents.AddRange(values)));
            yield return new($"FP64 {count} values for [1, 5]", "values", Valid("FP64", contents: c => c.Fp64Contents.AddRange(values.Select(v => (double)v))));
        }

        yield return new("FP32 5 values for [2, 5]", "values", Valid(shape: [2, 5]));
        yield return new("FP32 5 values for [3, 5]", "values", Valid(shape: [3, 5]));

        // Values that are not finite numbers, in every column, as FP32, FP64 and raw FP32 bytes.
        foreach (var (value, label) in new[] { (double.NaN, "NaN"), (double.PositiveInfinity, "+Infinity"), (double.NegativeInfinity, "-Infinity") })
        {
            for (var column = 0; column < 5; column++)
            {
                var fp32 = Row.ToArray();
                fp32[column] = (float)value;
                var fp64 = Row.Select(v => (double)v).ToArray();
                fp64[column] = value;
                yield return new($"FP32 {label} in column {column}", "finite", Valid(contents: c => c.Fp32Contents.AddRange(fp32)));
                yield return new($"FP64 {label} in column {column}", "finite", Valid("FP64", contents: c => c.Fp64Contents.AddRange(fp64)));
                yield return new($"raw FP32 {label} in column {column}", "finite", Raw(fp32));
            }
        }

        // Values in a contents field other than the datatype's.
        var others = new (string Field, Action<InferTensorContents> Fill)[]
        {
            ("bool_contents", c => c.BoolContents.AddRange([true, false, true, false, true])),
            ("int_contents", c => c.IntContents.AddRange([118, 26, 90, 38, 92])),
            ("int64_contents", c => c.Int64Contents.AddRange([118, 26, 90, 38, 92])),
            ("uint_contents", c => c.UintContents.AddRange([118u, 26, 90, 38, 92])),
            ("uint64_contents", c => c.Uint64Contents.AddRange([118ul, 26, 90, 38, 92])),
            ("bytes_contents", c => c.BytesContents.Add(ByteString.CopyFromUtf8("118,26,90,38.9,92"))),
        };
        foreach (var (field, fill) in others)
        {
            yield return new($"FP32 values in {field}", "contents", Valid(contents: fill));
            yield return new($"FP64 values in {field}", "contents", Valid("FP64", contents: fill));
            yield return new($"FP32 values in fp32_contents and {field}", "contents", Valid(contents: c => { c.Fp32Contents.AddRange(Row); fill(c); }));
        }

        yield return new("FP32 values in fp64_contents", "contents", Valid(contents: c => c.Fp64Contents.AddRange(Row.Select(v => (double)v))));
        yield return new("FP64 values in fp32_contents", "contents", Valid("FP64", contents: c => c.Fp32Contents.AddRange(Row)));

        // Raw input contents.
        foreach (var size in new[] { 1, 2, 3, 5, 7, 19, 21, 23 })
        {
            yield return new($"raw FP32 {size} bytes", "bytes", RawBytes("FP32", new byte[size]));
        }

        foreach (var size in new[] { 1, 4, 7, 12, 39, 41 })
        {
            yield return new($"raw FP64 {size} bytes", "bytes", RawBytes("FP64", new byte[size]));
        }

        yield return new("raw FP32 four values", "values", Raw(Row[..4]));
        yield return new("raw FP32 six values", "values", Raw([.. Row, 1]));
        yield return new("raw empty", "values", RawBytes("FP32", []));
        yield return new("raw and typed values", "raw_input_contents", With(r => r.RawInputContents.Add(Raw(Row).RawInputContents[0])));
        yield return new("two raw entries for one input", "raw_input_contents", With(r => r.RawInputContents.Add(r.RawInputContents[0]), Raw(Row)));
        yield return new("three raw entries for one input", "raw_input_contents", With(r => { r.RawInputContents.Add(r.RawInputContents[0]); r.RawInputContents.Add(r.RawInputContents[0]); }, Raw(Row)));

        // Requested outputs.
        foreach (var (name, label) in new[] { ("logits", "unknown"), ("", "empty"), ("PROBABILITY", "other case"), ("probability\u0000", "NUL"), (new string('o', 300), "300 characters") })
        {
            yield return new($"output {label}", "output", With(r => r.Outputs.Add(new InferRequestedOutputTensor { Name = name })));
        }

        yield return new("outputs with one unknown among known", "output", With(r =>
        {
            r.Outputs.Add(new InferRequestedOutputTensor { Name = "probability" });
            r.Outputs.Add(new InferRequestedOutputTensor { Name = "logits" });
        }));

        // Bodies that are not a ModelInferRequest: garbage, truncation, wrong wire types.
        var valid = Valid().ToByteArray();
        yield return new("protobuf truncated by half", "message", Raw: valid[..(valid.Length / 2)]);
        yield return new("protobuf truncated by one byte", "message", Raw: valid[..^1]);
        yield return new("protobuf of random bytes", "message", Raw: Random(64, 1));
        yield return new("protobuf of 0xFF bytes", "message", Raw: Enumerable.Repeat((byte)0xFF, 32).ToArray());
        yield return new("protobuf varint of eleven bytes", "message", Raw: [0x08, .. Enumerable.Repeat((byte)0x80, 10), 0x01]);
        yield return new("protobuf model_name as a varint", "message", Raw: [0x0A | 0x00, 0x05]);
        yield return new("protobuf string length past the end", "message", Raw: [0x0A, 0x7F, 0x61]);
        yield return new("protobuf model_name invalid UTF-8", "message", Raw: [0x0A, 0x02, 0xC3, 0x28]);
        yield return new("protobuf group end without start", "message", Raw: [0x0C]);
        yield return new("protobuf field number zero", "message", Raw: [0x00, 0x01]);
        yield return new("empty message", "model", Raw: []);
    }

    static ModelInferRequest Raw(float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        return RawBytes("FP32", bytes);
    }

    static ModelInferRequest RawBytes(string datatype, byte[] bytes)
    {
        var request = new ModelInferRequest { ModelName = Model, Inputs = { new InferInputTensor { Name = "features", Datatype = datatype, Shape = { 1, 5 } } } };
        request.RawInputContents.Add(ByteString.CopyFrom(bytes));
        return request;
    }

    static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
