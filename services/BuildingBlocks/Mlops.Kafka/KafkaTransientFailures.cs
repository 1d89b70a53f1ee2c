using Confluent.Kafka;
using Mlops.ServiceDefaults.Resilience;

namespace Mlops.Kafka;

/// <summary>Broker errors that clear when the broker is back: the Kafka block's rule for <see cref="TransientFailure"/>.</summary>
public static class KafkaTransientFailures
{
    static int _registered;

    /// <summary>Adds the rule (once per process).</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            TransientFailure.Register(IsTransient);
        }
    }

    /// <summary>Whether a Kafka client error means the broker did not answer (rather than a refused record or bad setting).</summary>
    public static bool IsTransient(Exception exception) => exception is KafkaException kafka && !kafka.Error.IsFatal && kafka.Error.Code is
        ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown or ErrorCode.Local_MsgTimedOut or ErrorCode.Local_TimedOut
        or ErrorCode.Local_TimedOutQueue or ErrorCode.Local_QueueFull or ErrorCode.RequestTimedOut or ErrorCode.NetworkException
        or ErrorCode.LeaderNotAvailable or ErrorCode.NotLeaderForPartition or ErrorCode.BrokerNotAvailable
        or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.NotCoordinatorForGroup
        or ErrorCode.GroupCoordinatorNotAvailable or ErrorCode.GroupLoadInProgress;
}
