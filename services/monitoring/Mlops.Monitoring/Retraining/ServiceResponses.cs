using System.Net;

namespace Mlops.Monitoring.Retraining;

/// <summary>What another service's answer means for a step: the body, a deterministic refusal, or a transient failure.</summary>
internal static class ServiceResponses
{
    /// <summary>
    /// Throws <see cref="HttpRequestException"/> with the status for a 5xx, 408 or 429 (transient: the step is tried again)
    /// and <see cref="RetrainingStepException"/> with the service's problem text for any other failure.
    /// </summary>
    public static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        if ((int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
        {
            throw new HttpRequestException($"{what}: {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }

        var body = await response.Content.ReadAsStringAsync(ct);
        throw new RetrainingStepException($"{what}: {(int)response.StatusCode} {response.ReasonPhrase} {Shorten(body)}".TrimEnd());
    }

    static string Shorten(string text) => text.Length <= 500 ? text : text[..500] + "…";
}
