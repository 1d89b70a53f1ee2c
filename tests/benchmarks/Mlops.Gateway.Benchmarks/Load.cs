using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Mlops.Gateway.Benchmarks;

/// <summary>N concurrent clients posting inline predictions for varied entities, closed loop.</summary>
internal sealed class Load : IDisposable
{
    readonly HttpClient _client;

    /// <summary>Clients of <paramref name="baseAddress"/>, sending <paramref name="apiKey"/> (the direct path ignores it).</summary>
    public Load(Uri baseAddress, string apiKey)
    {
        _client = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = baseAddress };
        _client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
    }

    public async Task<Measurement> RunAsync(string path, int clients, TimeSpan duration)
    {
        await DriveAsync(clients, TimeSpan.FromSeconds(1));
        var (latencies, elapsed) = await DriveAsync(clients, duration);
        return Measurement.From(path, clients, latencies, elapsed);
    }

    async Task<(List<double>, TimeSpan)> DriveAsync(int clients, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var latencies = new List<double>();
            var seed = c * 1_000_000;
            while (clock.Elapsed < duration)
            {
                using var content = new StringContent(RequestJson(seed++), Encoding.UTF8, "application/json");
                var started = Stopwatch.GetTimestamp();
                using var response = await _client.PostAsync("/api/inference/predict", content);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            return latencies;
        })));
        return ([.. perClient.SelectMany(l => l)], clock.Elapsed);
    }

    /// <summary>Vitals varied per request (no cache helps) for entity <c>patient-{seed}</c>, so the split and the mirror see every bucket.</summary>
    static string RequestJson(int seed)
    {
        var random = new Random(seed);
        return string.Create(CultureInfo.InvariantCulture,
            $$$"""{"entityId":"patient-{{{seed}}}","features":{"heart_rate":{{{60 + random.NextDouble() * 70:F1}}},"respiratory_rate":{{{10 + random.NextDouble() * 20:F1}}},"spo2":{{{85 + random.NextDouble() * 15:F1}}},"temperature":{{{35.5 + random.NextDouble() * 4:F1}}},"systolic_bp":{{{80 + random.NextDouble() * 80:F1}}}}}""");
    }

    public void Dispose() => _client.Dispose();
}
