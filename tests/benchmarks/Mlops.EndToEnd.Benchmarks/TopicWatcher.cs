using System.Diagnostics;
using Confluent.Kafka;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.EndToEnd.Benchmarks;

/// <summary>
/// Reads one topic from its start on a thread of its own (a fresh consumer group, the platform's consumer settings) and
/// stamps, with this process's clock right after the record was handed over, when each benchmark item first appeared
/// on it. <c>indexOf</c> maps a record to the item it carries (-1: not one of ours, e.g. warm-up traffic).
/// </summary>
internal sealed class TopicWatcher : IDisposable
{
    readonly Thread _thread;
    readonly CancellationTokenSource _stop = new();
    readonly TaskCompletionSource _assigned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Func<byte[], int> _indexOf;
    readonly string _topic;
    readonly ConsumerConfig _config;
    int _records;
    int _distinct;

    public TopicWatcher(KafkaClientConfigFactory configs, string topic, int capacity, Func<byte[], int> indexOf)
    {
        _topic = topic;
        _indexOf = indexOf;
        _config = configs.CreateConsumerConfig(PlatformInfrastructure.UniqueName("bench-e2e-watch"), "bench-e2e-watch");
        Arrived = new long[capacity];
        _thread = new Thread(Read) { IsBackground = true, Name = "watch " + topic };
        _thread.Start();
    }

    /// <summary>Stopwatch ticks when item i first arrived; 0 while it has not.</summary>
    public long[] Arrived { get; }

    /// <summary>Each arrival of an item in the order read: (item, ticks), duplicates included.</summary>
    public List<(int Index, long Ticks)> Log { get; } = [];

    /// <summary>Records read, ours or not.</summary>
    public int Records => Volatile.Read(ref _records);

    /// <summary>Items that arrived at least once.</summary>
    public int Distinct => Volatile.Read(ref _distinct);

    /// <summary>Completes once the group gave this consumer its partitions, so nothing sent afterwards waits for a rebalance.</summary>
    public Task Assigned => _assigned.Task;

    /// <summary>Waits until every item arrived, or nothing new arrived for 10 s (at most 2 minutes).</summary>
    public async Task DrainAsync(int expected)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        var last = Distinct;
        var quietSince = DateTime.UtcNow;
        while (Distinct < expected && DateTime.UtcNow < deadline && DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(200);
            if (Distinct != last)
            {
                last = Distinct;
                quietSince = DateTime.UtcNow;
            }
        }
    }

    void Read()
    {
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(_config)
            .SetLogHandler((_, _) => { })
            .SetPartitionsAssignedHandler((_, _) => _assigned.TrySetResult())
            .Build();
        consumer.Subscribe(_topic);
        while (!_stop.IsCancellationRequested)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message is not { } message)
            {
                continue;
            }

            var now = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _records);
            var index = _indexOf(message.Value);
            if (index < 0 || index >= Arrived.Length)
            {
                continue;
            }

            lock (Log)
            {
                Log.Add((index, now));
                if (Arrived[index] == 0)
                {
                    Arrived[index] = now;
                    Interlocked.Increment(ref _distinct);
                }
            }
        }

        consumer.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
