using Mlops.Kafka.Producing;

namespace Mlops.Inference.Streaming;

/// <summary>
/// The <c>predictionId</c> of a streamed prediction, derived from what it scores: the feature event, the model and its
/// version. Kafka delivers a feature event at least once (a restart re-reads everything after the last commit), and a
/// redelivered event is scored again with the same result; with a name-based id the repeat is recognisably the same
/// prediction, so consumers deduplicate by <c>predictionId</c> (the chaos tests found 11 extra predictions with fresh
/// ids after one SIGKILL of inference). HTTP predictions keep their random GUID v7: every request is a new prediction.
/// </summary>
public static class StreamingPredictionId
{
    /// <summary>A name-based GUID of the three parts (ids already issued stay the same: no kind prefix here).</summary>
    public static string For(string featureEventId, string modelName, string modelVersion) =>
        NameBasedEventId.Of(featureEventId, modelName, modelVersion);
}
