using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Inference.Batch;
using Mlops.Testing;

namespace Mlops.Inference.Tests.Batch;

/// <summary>Starting a batch job over HTTP and reading its progress and results.</summary>
internal static class BatchJobClient
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<BatchJobsApi.BatchJobResponse> StartAsync(this HttpClient client, object request)
    {
        using var response = await client.PostAsJsonAsync("/api/inference/batch-jobs", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return JsonSerializer.Deserialize<BatchJobsApi.BatchJobResponse>(body, Json)!;
    }

    public static async Task<BatchJobsApi.BatchJobResponse> JobAsync(this HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/api/inference/batch-jobs/{id}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonSerializer.Deserialize<BatchJobsApi.BatchJobResponse>(body, Json)!;
    }

    /// <summary>Waits until the job has succeeded (failing at once, with the reason, when it failed).</summary>
    public static async Task<BatchJobsApi.BatchJobResponse> FinishedAsync(this HttpClient client, string id, TimeSpan? timeout = null)
    {
        BatchJobsApi.BatchJobResponse job = null!;
        await Eventually.WaitUntilAsync(async () =>
        {
            job = await client.JobAsync(id);
            Assert.True(job.State != BatchJobStates.Failed, $"job {id} failed: {job.Error}");
            return job.State == BatchJobStates.Succeeded;
        }, $"batch job {id} succeeded", timeout);
        return job;
    }

    public static async Task<List<BatchResultRow>> NdjsonAsync(this HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/api/inference/batch-jobs/{id}/results?format=ndjson");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<BatchResultRow>(l, Json)!).ToList();
    }
}
