namespace Mlops.Gateway.Shadow;

/// <summary>What became of a mirror.</summary>
public enum ShadowOutcome
{
    /// <summary>Put on the queue.</summary>
    Queued,

    /// <summary>The queue was full: not sent.</summary>
    Dropped,

    /// <summary>Sent, but the shadow failed, timed out or had no destination.</summary>
    Failed,

    /// <summary>Both answers read and compared.</summary>
    Compared,

    /// <summary>Both answered, but an answer carried no probabilities or a different number of them.</summary>
    Uncomparable,
}
