namespace Mlops.Features.Api;

/// <summary>
/// Response headers of <c>POST /api/features/training-sets</c> saying what the rows were built from, so the caller (a
/// training run) can record it without parsing the stream.
/// </summary>
public static class TrainingSetHeaders
{
    /// <summary><see cref="DatasetSource"/> or <see cref="StoreSource"/>.</summary>
    public const string Source = "X-Training-Set-Source";

    /// <summary>Observations of an ingestion dataset version, labels recorded by its snapshot time.</summary>
    public const string DatasetSource = "dataset";

    /// <summary>The feature service's own observation store and every label recorded so far.</summary>
    public const string StoreSource = "store";

    /// <summary>The dataset version the rows were computed from.</summary>
    public const string DatasetVersion = "X-Dataset-Version";

    /// <summary>How many observations the dataset version holds.</summary>
    public const string DatasetObservations = "X-Dataset-Observations";

    /// <summary>The snapshot's time (ISO 8601, UTC): labels recorded later are not in the rows.</summary>
    public const string LabelsRecordedBy = "X-Labels-Recorded-By";

    /// <summary>The window's start asked for (ISO 8601, UTC): only labels at or after it are in the rows. Absent: no window.</summary>
    public const string LabelsFrom = "X-Labels-From";
}
