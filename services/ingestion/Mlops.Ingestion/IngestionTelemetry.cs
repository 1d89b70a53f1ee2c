using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Ingestion;

/// <summary>Spans and metrics of ingestion.</summary>
public static class IngestionTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Mlops.Ingestion";

    /// <summary>Spans around validation and storage.</summary>
    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    /// <summary>Observations stored, by code.</summary>
    public static readonly Counter<long> Accepted = Meter.CreateCounter<long>("mlops.ingestion.accepted", "{observation}");

    /// <summary>Repeats acknowledged without storing.</summary>
    public static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("mlops.ingestion.duplicates", "{observation}");

    /// <summary>Observations refused, by field of the first error.</summary>
    public static readonly Counter<long> Rejected = Meter.CreateCounter<long>("mlops.ingestion.rejected", "{observation}");

    /// <summary>Single observations stored by one group commit.</summary>
    public static readonly Histogram<int> GroupCommitSize = Meter.CreateHistogram<int>("mlops.ingestion.group_commit.size", "{observation}",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });

    /// <summary>Observations published to Kafka by the outbox relay.</summary>
    public static readonly Counter<long> Published = Meter.CreateCounter<long>("mlops.ingestion.published", "{observation}");
}
