using Mlops.Contracts.Kafka;

namespace Mlops.Kafka.DeadLetters;

/// <summary>One record of the dead-letter topic, as the replay API shows it.</summary>
/// <param name="Id">Stable id: <c>{partition}-{offset}</c> of the dead letter on its topic.</param>
/// <param name="DeadLetteredAt">When the consumer gave up (the dead letter's envelope time).</param>
/// <param name="Record">What failed and why, with the original record.</param>
/// <param name="Replays">Replays recorded so far, oldest first.</param>
public sealed record DeadLetterEntry(string Id, DateTimeOffset DeadLetteredAt, DeadLetterRecord Record, IReadOnlyList<DeadLetterReplay> Replays);

/// <summary>One replay: who re-published the record, why, and where it landed.</summary>
public sealed record DeadLetterReplay(
    Guid ReplayId, string DeadLetterId, string? OriginalEventId, string TargetTopic, string ReplayedBy, string Reason,
    DateTimeOffset RequestedAt, DateTimeOffset? PublishedAt, int? PublishedPartition, long? PublishedOffset);

/// <summary>Where a dead letter sits on the dead-letter topic.</summary>
public readonly record struct DeadLetterId(int Partition, long Offset)
{
    /// <summary>Parses <c>{partition}-{offset}</c>.</summary>
    public static bool TryParse(string? text, out DeadLetterId id)
    {
        id = default;
        var parts = text?.Split('-');
        if (parts is not [var p, var o]
            || !int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var partition)
            || !long.TryParse(o, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var offset))
        {
            return false;
        }

        id = new DeadLetterId(partition, offset);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Partition}-{Offset}");
}

/// <summary>
/// How far the dead-letter topic goes: its end offset per partition and their sum (dead letters ever appended, those
/// past retention included). Cheap to ask often; it changes exactly when a dead letter arrives.
/// </summary>
public sealed record DeadLetterWatermark(string Topic, long Total, IReadOnlyDictionary<int, long> Ends);
