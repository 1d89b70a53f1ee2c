namespace Mlops.Training.Data;

/// <summary>One point-in-time training row as the features service streams it.</summary>
public sealed record TrainingSetRow(
    string EntityId, string LabelId, DateTimeOffset LabelTime, double Label, string FeatureSetVersion, IReadOnlyDictionary<string, double?> Features);

/// <summary>Where training sets come from: the features service in production, an in-test source in tests.</summary>
public interface ITrainingSetSource
{
    /// <summary>
    /// Streams the rows of the label's training set, computed with <paramref name="featureSetVersion"/> (null: the
    /// features service's shipped set).
    /// </summary>
    IAsyncEnumerable<TrainingSetRow> ReadAsync(string labelName, string? featureSetVersion, CancellationToken cancellationToken);
}
