using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Ward;

namespace Mlops.EndToEnd.Tests.Chaos;

/// <summary>
/// A steady stream of observations through the gateway's HTTP intake, one sender per patient (so each patient's
/// observations stay in order), as an upstream system behaves: an observation that is not acknowledged (an error
/// answer, a refused connection, a timeout) is sent again, unchanged, until it is. Every answer is counted by status.
/// </summary>
public sealed class ObservationStream : IAsyncDisposable
{
    readonly HttpClient _http;
    readonly WardOptions _ward;
    readonly IReadOnlyList<PatientProfile> _patients;
    readonly TimeSpan _interval;
    readonly CancellationTokenSource _stop = new();
    readonly List<Task> _senders = [];
    readonly DateTimeOffset _clockStart;

    public ObservationStream(Uri gateway, string apiKey, WardOptions ward, IReadOnlyList<PatientProfile> patients, double observationsPerSecond, DateTimeOffset clockStart)
    {
        _http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(15) };
        _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        _ward = ward;
        _patients = patients;
        _interval = TimeSpan.FromSeconds(patients.Count / observationsPerSecond);
        _clockStart = clockStart;
    }

    /// <summary>Observation id → when it was first sent.</summary>
    public ConcurrentDictionary<string, DateTimeOffset> FirstSent { get; } = new(StringComparer.Ordinal);

    /// <summary>Observation id → when ingestion acknowledged it (2xx).</summary>
    public ConcurrentDictionary<string, DateTimeOffset> Acknowledged { get; } = new(StringComparer.Ordinal);

    /// <summary>Answers by HTTP status; 0 counts connections refused or reset and timeouts.</summary>
    public ConcurrentDictionary<int, int> Answers { get; } = new();

    /// <summary>Error answers other than 503 (a 5xx where the platform should say "unavailable, retry"), with their bodies.</summary>
    public ConcurrentQueue<string> UnexpectedAnswers { get; } = new();

    /// <summary>Starts one sender per patient.</summary>
    public void Start()
    {
        foreach (var patient in _patients)
        {
            _senders.Add(Task.Run(() => SendAsync(patient, _stop.Token)));
        }
    }

    /// <summary>Stops sending new observations; the one in hand is still sent until acknowledged.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_senders);
    }

    async Task SendAsync(PatientProfile patient, CancellationToken stop)
    {
        // Each vital set a second apart on the patient's own clock: ids stay unique, event times stay in the past.
        var clock = _clockStart;
        while (!stop.IsCancellationRequested)
        {
            clock = clock.AddSeconds(1);
            foreach (var row in WardGenerator.LiveVitals(_ward, patient, clock, 0.2))
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                var started = DateTimeOffset.UtcNow;
                await DeliverAsync(ObservationCsv.ToJson(row), row.ObservationId);
                var wait = _interval - (DateTimeOffset.UtcNow - started);
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }
    }

    async Task DeliverAsync(object body, string observationId)
    {
        FirstSent.TryAdd(observationId, DateTimeOffset.UtcNow);
        var backoff = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            int status;
            string? problem = null;
            try
            {
                using var response = await _http.PostAsJsonAsync("api/ingestion/observations", body);
                status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    Answers.AddOrUpdate(status, 1, (_, n) => n + 1);
                    Acknowledged.TryAdd(observationId, DateTimeOffset.UtcNow);
                    return;
                }

                if (status is >= 400 and < 500)
                {
                    // A refusal of a valid observation is a bug the scenario reports; sending it again would not help.
                    Answers.AddOrUpdate(status, 1, (_, n) => n + 1);
                    UnexpectedAnswers.Enqueue($"{status} for {observationId}: {await response.Content.ReadAsStringAsync()}");
                    return;
                }

                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    problem = $"{status} for {observationId}: {await response.Content.ReadAsStringAsync()}";
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                status = 0;
            }

            Answers.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (problem is not null)
            {
                UnexpectedAnswers.Enqueue(problem);
            }

            await Task.Delay(backoff);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 2000));
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
        _http.Dispose();
    }
}
