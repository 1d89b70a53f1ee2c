using System.Text.Json;
using Parquet;
using Parquet.Serialization;

namespace Mlops.Inference.Batch;

/// <summary>
/// One result row as a Parquet file holds it: the features as a JSON object (the column set differs between models),
/// the time as UTC timestamp.
/// </summary>
public sealed class BatchParquetRow
{
    public string EntityId { get; set; } = "";

    public DateTime Time { get; set; }

    public string? LabelId { get; set; }

    public double? Probability { get; set; }

    public double? Uncertainty { get; set; }

    public string? Error { get; set; }

    public string Features { get; set; } = "{}";
}

/// <summary>Writes a job's results as NDJSON (one <see cref="BatchResultRow"/> a line) or Parquet (<see cref="BatchParquetRow"/>).</summary>
public static class BatchResultFiles
{
    /// <summary>Rows per Parquet row group, so a large job is never held in memory whole.</summary>
    public const int RowGroupSize = 50_000;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Streams the rows as NDJSON.</summary>
    public static async Task WriteNdjsonAsync(IAsyncEnumerable<BatchResultRow> rows, Stream output, CancellationToken cancellationToken)
    {
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            await JsonSerializer.SerializeAsync(output, row, Json, cancellationToken);
            await output.WriteAsync("\n"u8.ToArray(), cancellationToken);
        }
    }

    /// <summary>
    /// Writes the rows as a Parquet file to <paramref name="file"/> (seekable: each row group after the first is
    /// appended to the file before its footer); returns the rows written.
    /// </summary>
    public static async Task<long> WriteParquetAsync(IAsyncEnumerable<BatchResultRow> rows, Stream file, CancellationToken cancellationToken)
    {
        var group = new List<BatchParquetRow>(RowGroupSize);
        long written = 0;
        var first = true;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            group.Add(ToParquet(row));
            if (group.Count == RowGroupSize)
            {
                await FlushAsync();
            }
        }

        if (group.Count > 0 || first)
        {
            await FlushAsync();
        }

        return written;

        async Task FlushAsync()
        {
            file.Seek(0, SeekOrigin.Begin);
            await ParquetSerializer.SerializeAsync(group, file, new ParquetOptions { Append = !first, RowGroupSize = RowGroupSize }, cancellationToken: cancellationToken);
            written += group.Count;
            group.Clear();
            first = false;
        }
    }

    static BatchParquetRow ToParquet(BatchResultRow row) => new()
    {
        EntityId = row.EntityId,
        Time = row.Time.UtcDateTime,
        LabelId = row.LabelId,
        Probability = row.Probability,
        Uncertainty = row.Uncertainty,
        Error = row.Error,
        Features = JsonSerializer.Serialize(row.Features, Json),
    };
}
