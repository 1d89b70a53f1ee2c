using System.Text.Json.Nodes;

namespace Mlops.Cli.Core.Gateway;

/// <summary>Bulk loads through the gateway: observations in batches (in order), outcomes a few at a time.</summary>
public static class Uploads
{
    /// <summary>Default observations per batch request (the ingestion service accepts up to 10 000).</summary>
    public const int DefaultBatchSize = 2000;

    /// <summary>Sends <paramref name="items"/> in order, batch by batch; <paramref name="progress"/> gets the items sent so far.</summary>
    public static async Task<BatchOutcome> ObservationsAsync(
        GatewayClient client, IReadOnlyList<(string Where, JsonObject Body)> items, int batchSize, Action<int>? progress, CancellationToken ct)
    {
        var total = new BatchOutcome();
        for (var start = 0; start < items.Count; start += batchSize)
        {
            var batch = items.Skip(start).Take(batchSize).ToList();
            total.Add(await client.IngestBatchAsync(batch, ct));
            progress?.Invoke(start + batch.Count);
        }

        return total;
    }

    /// <summary>Records outcomes (the labels API takes one at a time) with a little parallelism.</summary>
    public static async Task<(int Recorded, int Duplicates, List<Refusal> Refused)> OutcomesAsync(
        GatewayClient client, IReadOnlyList<(string Where, JsonObject Body)> items, Action<int>? progress, CancellationToken ct)
    {
        var recorded = 0;
        var duplicates = 0;
        var done = 0;
        var refused = new List<Refusal>();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (item, token) =>
        {
            try
            {
                if (await client.PostLabelAsync(item.Body, token))
                {
                    Interlocked.Increment(ref recorded);
                }
                else
                {
                    Interlocked.Increment(ref duplicates);
                }
            }
            catch (ApiProblem problem) when ((int)problem.Status is >= 400 and < 500)
            {
                lock (refused)
                {
                    refused.Add(new Refusal(item.Where, item.Body["labelId"]?.GetValue<string>(), problem.Message));
                }
            }

            progress?.Invoke(Interlocked.Increment(ref done));
        });
        return (recorded, duplicates, refused);
    }
}
