namespace Mlops.Training.Data;

/// <summary>One point-in-time training row as the features service streams it.</summary>
public sealed record TrainingSetRow(
    string EntityId, string LabelId, DateTimeOffset LabelTime, double Label, string FeatureSetVersion, IReadOnlyDictionary<string, double?> Features);

/// <summary>What a run asks the features service for.</summary>
/// <param name="LabelName">The labels rows are built for.</param>
/// <param name="FeatureSetVersion">The feature set to compute with; null: the features service's shipped set.</param>
/// <param name="DatasetVersion">The ingestion dataset version whose observations (and labels recorded by its time) the rows come from; null: the live store.</param>
/// <param name="LabelsFrom">Only labels at or after this instant (a recent window); null: every label.</param>
public sealed record TrainingSetQuery(string LabelName, string? FeatureSetVersion, string? DatasetVersion, DateTimeOffset? LabelsFrom = null);

/// <summary>Where training sets come from: the features service in production, an in-test source in tests.</summary>
public interface ITrainingSetSource
{
    /// <summary>
    /// Opens the label's training set; the rows are read from the returned stream, which says what they were built
    /// from. A query the service refuses for good (unknown dataset or feature-set version) throws
    /// <see cref="Pipeline.TrainingStepException"/>; a service that does not answer throws a transient error.
    /// </summary>
    Task<TrainingSetStream> OpenAsync(TrainingSetQuery query, CancellationToken cancellationToken);
}

/// <summary>What a training set was built from, as recorded in the run's <c>data-validation.json</c>.</summary>
/// <param name="Source"><c>dataset</c> (an ingestion dataset version) or <c>store</c> (the features service's live store).</param>
/// <param name="DatasetVersion">The dataset version the observations came from.</param>
/// <param name="DatasetObservations">How many observations that version holds.</param>
/// <param name="LabelsRecordedBy">The dataset version's snapshot time: labels recorded later are not in the rows.</param>
public sealed record TrainingSetOrigin(string Source, string? DatasetVersion = null, long? DatasetObservations = null, DateTimeOffset? LabelsRecordedBy = null);

/// <summary>An open training set: where it comes from, and its rows (read once).</summary>
public sealed class TrainingSetStream(TrainingSetOrigin origin, IAsyncEnumerable<TrainingSetRow> rows, IDisposable? owner = null) : IDisposable
{
    public TrainingSetOrigin Origin { get; } = origin;

    public IAsyncEnumerable<TrainingSetRow> Rows { get; } = rows;

    public void Dispose() => owner?.Dispose();
}
