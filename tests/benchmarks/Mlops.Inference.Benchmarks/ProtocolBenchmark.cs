using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Grpc.Net.Client;
using Mlops.Inference.Protocols.GrpcInference;

namespace Mlops.Inference.Benchmarks;

/// <summary>
/// The Open Inference Protocol's two transports side by side on one service process: REST (<c>POST
/// /v2/models/deterioration/infer</c>, JSON over HTTP/1.1) and gRPC (<c>ModelInfer</c>, protobuf over HTTP/2 on the
/// gRPC port), one row per request, at 1, 16 and 64 concurrent clients, alternating so both see the same machine
/// load. Both transports share validation, predictor, batcher and prediction log, so the difference is the wire.
/// </summary>
internal static class ProtocolBenchmark
{
    const string Model = "deterioration";

    const int PooledChannels = 8;

    public static async Task<int> RunAsync(int seconds, string modelPath)
    {
        var duration = TimeSpan.FromSeconds(seconds);
        var rows = Workload.Vitals.Rows(97);
        Console.WriteLine($"Open Inference Protocol REST vs gRPC, {Environment.ProcessorCount} cores, {seconds} s per scenario, batching on (max batch 64, no queue delay), prediction log on");
        await using var service = await ServiceBenchmark.StartAsync(modelPath, batching: true, TimeSpan.Zero);
        using var channel = GrpcChannel.ForAddress(service.GrpcAddress, new GrpcChannelOptions
        {
            // Several HTTP/2 connections once one's stream limit is reached, as a production client would.
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        // HTTP/2 multiplexes every call of a channel on one connection, whose frames one loop reads and one writer
        // sends; REST's clients each have a connection. A client pool of channels shows what that costs.
        var pool = Enumerable.Range(0, PooledChannels).Select(_ => GrpcChannel.ForAddress(service.GrpcAddress)).ToList();
        var pooled = pool.Select(c => new GRPCInferenceService.GRPCInferenceServiceClient(c)).ToArray();

        // Both answer the same row alike before anything is timed.
        var check = await grpc.ModelInferAsync(GrpcRequest(rows, 0));
        using (var rest = await service.Http.PostAsync($"/v2/models/{Model}/infer", RestContent(rows, 0)))
        {
            rest.EnsureSuccessStatusCode();
            var body = JsonDocument.Parse(await rest.Content.ReadAsStringAsync());
            var restProbability = body.RootElement.GetProperty("outputs")[0].GetProperty("data")[0].GetDouble();
            if (Math.Abs(restProbability - check.Outputs[0].Contents.Fp64Contents[0]) > 1e-9)
            {
                Console.Error.WriteLine($"REST and gRPC disagree: {restProbability} vs {check.Outputs[0].Contents.Fp64Contents[0]}");
                return 1;
            }
        }

        int[] clientCounts = [1, 16, 64];
        var results = new List<Measurement>();
        foreach (var clients in clientCounts)
        {
            results.Add(await MeasureAsync($"OIP REST, {clients} clients", clients, duration, seed => RestAsync(service.Http, rows, seed)));
            results.Add(await MeasureAsync($"OIP gRPC, {clients} clients", clients, duration, seed => GrpcAsync(grpc, rows, seed)));
            // Client c's seeds are c, c + 1, …: spread over the pool by seed, every channel carries calls.
            results.Add(await MeasureAsync($"OIP gRPC {PooledChannels} channels, {clients} clients", clients, duration,
                seed => GrpcAsync(pooled[seed % PooledChannels], rows, seed)));
        }

        pool.ForEach(c => c.Dispose());

        Console.WriteLine();
        Console.WriteLine($"{"scenario",-40} {"pred/s",12} {"p50 ms",9} {"p99 ms",9}");
        foreach (var r in results)
        {
            Console.WriteLine($"{r.Scenario,-40} {r.PredictionsPerSecond,12:F0} {r.P50Ms,9:F3} {r.P99Ms,9:F3}");
        }

        Console.WriteLine();
        Console.WriteLine("Ratios gRPC / REST (throughput; p50 and p99 latency, lower is better):");
        foreach (var clients in clientCounts)
        {
            var rest = results.Single(r => r.Scenario == $"OIP REST, {clients} clients");
            var g = results.Single(r => r.Scenario == $"OIP gRPC, {clients} clients");
            var p = results.Single(r => r.Scenario == $"OIP gRPC {PooledChannels} channels, {clients} clients");
            Console.WriteLine(FormattableString.Invariant(
                $"{clients,3} clients: one channel: throughput {g.PredictionsPerSecond / rest.PredictionsPerSecond:F2}x, p50 {g.P50Ms / rest.P50Ms:F2}x, p99 {g.P99Ms / rest.P99Ms:F2}x;  {PooledChannels} channels: throughput {p.PredictionsPerSecond / rest.PredictionsPerSecond:F2}x, p50 {p.P50Ms / rest.P50Ms:F2}x, p99 {p.P99Ms / rest.P99Ms:F2}x"));
        }

        Console.WriteLine(FormattableString.Invariant($"peak RSS of this (client) process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB"));
        return 0;
    }

    static async Task<Measurement> MeasureAsync(string scenario, int clients, TimeSpan duration, Func<int, Task> call)
    {
        await DriveAsync(clients, TimeSpan.FromSeconds(1), call);
        var (latencies, elapsed) = await DriveAsync(clients, duration, call);
        return Measurement.From(scenario, latencies, latencies.Count, elapsed);
    }

    static async Task<(List<double>, TimeSpan)> DriveAsync(int clients, TimeSpan duration, Func<int, Task> call)
    {
        var clock = Stopwatch.StartNew();
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var latencies = new List<double>();
            var seed = c;
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                await call(seed++);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            return latencies;
        })));
        return ([.. perClient.SelectMany(l => l)], clock.Elapsed);
    }

    static async Task RestAsync(HttpClient http, float[] rows, int seed)
    {
        using var response = await http.PostAsync($"/v2/models/{Model}/infer", RestContent(rows, seed));
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
    }

    static async Task GrpcAsync(GRPCInferenceService.GRPCInferenceServiceClient grpc, float[] rows, int seed) =>
        await grpc.ModelInferAsync(GrpcRequest(rows, seed));

    static StringContent RestContent(float[] rows, int seed)
    {
        var row = Row(rows, seed);
        var json = new StringBuilder("""{"inputs":[{"name":"features","shape":[1,5],"datatype":"FP32","data":[""");
        for (var i = 0; i < row.Length; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(row[i].ToString("R", CultureInfo.InvariantCulture));
        }

        return new StringContent(json.Append("]}]}").ToString(), Encoding.UTF8, "application/json");
    }

    static ModelInferRequest GrpcRequest(float[] rows, int seed)
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32", Shape = { 1, Workload.Vitals.FeatureCount }, Contents = new InferTensorContents() };
        input.Contents.Fp32Contents.AddRange(Row(rows, seed).ToArray());
        return new ModelInferRequest { ModelName = Model, Inputs = { input } };
    }

    static ReadOnlySpan<float> Row(float[] rows, int seed) => rows.AsSpan(seed % 97 * Workload.Vitals.FeatureCount, Workload.Vitals.FeatureCount);
}
