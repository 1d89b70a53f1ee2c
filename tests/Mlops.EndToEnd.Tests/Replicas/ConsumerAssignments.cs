using System.Text.RegularExpressions;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Replicas;

/// <summary>
/// Which partitions each replica's consumer of a group owns, from the consumer host's log lines
/// (<c>Kafka consumer {group} assigned {topic} [[p]], …</c>; the last such line is the current assignment).
/// </summary>
public static partial class ConsumerAssignments
{
    [GeneratedRegex(@"Kafka consumer (\S+) assigned(.*)$")]
    private static partial Regex AssignedLine();

    [GeneratedRegex(@"\[\[?(\d+)\]?\]")]
    private static partial Regex PartitionNumber();

    /// <summary>The partitions of the replica's latest assignment in <paramref name="group"/>, or null before any.</summary>
    public static IReadOnlyList<int>? Current(ServiceProcess replica, string group)
    {
        IReadOnlyList<int>? latest = null;
        foreach (var line in replica.Tail(int.MaxValue).Split('\n'))
        {
            if (AssignedLine().Match(line.TrimEnd('\r')) is { Success: true } match && match.Groups[1].Value == group)
            {
                latest = PartitionNumber().Matches(match.Groups[2].Value).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            }
        }

        return latest;
    }

    /// <summary>
    /// Waits until every replica owns at least one partition of <paramref name="group"/>, no two own the same one and
    /// together they own all <paramref name="partitions"/>; returns the split, e.g. "1: [0, 2] · 2: [1]".
    /// </summary>
    public static async Task<string> WaitForSplitAsync(string group, IReadOnlyList<ServiceProcess> replicas, int partitions, TimeSpan timeout)
    {
        string Describe() => string.Join(" · ", replicas.Select((r, i) => $"{i + 1}: [{string.Join(", ", Current(r, group) ?? [])}]"));
        try
        {
            await Eventually.WaitUntilAsync(() =>
            {
                var owned = replicas.Select(r => Current(r, group)).ToList();
                return owned.All(o => o is { Count: > 0 })
                    && owned.Sum(o => o!.Count) == partitions
                    && owned.SelectMany(o => o!).Distinct().Count() == partitions;
            }, $"the {replicas.Count} replicas of consumer group {group} split its {partitions} partitions", timeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last seen: {Describe()}", ex);
        }

        return Describe();
    }
}
