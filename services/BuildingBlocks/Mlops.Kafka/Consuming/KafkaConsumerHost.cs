using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mlops.Contracts.Kafka;
using Mlops.Kafka.Producing;
using Mlops.ServiceDefaults.Health;
using Mlops.ServiceDefaults.Resilience;

namespace Mlops.Kafka.Consuming;

/// <summary>
/// Runs one Kafka consumer for handler <typeparamref name="THandler"/>, at least once: a record's offset is
/// stored only after its handler succeeded (or after it was safely dead-lettered), and stored offsets are
/// committed in small batches, on rebalance and at shutdown. A process killed between handling and commit
/// gets the uncommitted records again on restart, which idempotent handlers absorb.
/// Transient is not poison: when the handler fails because a dependency did not answer (<see cref="TransientFailure"/>),
/// the consumer pauses its partitions, backs off (exponential, capped) and retries the same records until the
/// dependency is back, reporting the wait in readiness; only records that fail on their own are dead-lettered.
/// </summary>
public sealed class KafkaConsumerHost<T, THandler> : BackgroundService
    where THandler : class, IKafkaBatchEventHandler<T>
{
    static readonly TimeSpan StuckWarningInterval = TimeSpan.FromMinutes(1);
    static readonly TimeSpan CloseLimit = TimeSpan.FromSeconds(10);

    readonly KafkaConsumerOptions _options;
    readonly KafkaClientConfigFactory _configFactory;
    readonly IServiceScopeFactory _scopeFactory;
    readonly IEventProducer _producer;
    readonly ILogger _logger;
    readonly string _deadLetterTopic;
    readonly string _clientId;
    readonly KafkaConsumerStatus _status;
    readonly KafkaPartitionOwnership _ownership;
    readonly TimeProvider _clock;
    readonly TimeSpan _dependencyInitialBackoff;
    readonly TimeSpan _dependencyMaxBackoff;
    IConsumer<string?, byte[]>? _consumer;
    int _revocations;
    bool _paused;

    /// <summary>Creates the host; see <see cref="KafkaServiceCollectionExtensions.AddKafkaConsumer{T, THandler}"/>.</summary>
    public KafkaConsumerHost(
        KafkaConsumerOptions options,
        KafkaClientConfigFactory configFactory,
        IServiceScopeFactory scopeFactory,
        IEventProducer producer,
        IHostEnvironment environment,
        KafkaConsumerStatus status,
        KafkaPartitionOwnership ownership,
        ILogger<KafkaConsumerHost<T, THandler>> logger)
    {
        if (options.Topics.Count == 0 || string.IsNullOrWhiteSpace(options.GroupId))
        {
            throw new ArgumentException($"Kafka consumer for {options.HandlerName} needs at least one topic and a group id.", nameof(options));
        }

        if (options.MaxAttempts < 1 || options.MaxBatchSize < 1)
        {
            throw new ArgumentException("MaxAttempts and MaxBatchSize must be at least 1.", nameof(options));
        }

        _options = options;
        _configFactory = configFactory;
        _scopeFactory = scopeFactory;
        _producer = producer;
        _logger = logger;
        _deadLetterTopic = options.DeadLetterTopic ?? configFactory.Options.DeadLetterTopic;
        _clientId = $"{environment.ApplicationName}-{options.GroupId}";
        _status = status;
        _ownership = ownership;
        _clock = TimeProvider.System;
        _dependencyInitialBackoff = options.DependencyInitialBackoff ?? configFactory.Options.DependencyInitialBackoff;
        _dependencyMaxBackoff = options.DependencyMaxBackoff ?? configFactory.Options.DependencyMaxBackoff;
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // Consume() blocks; keep it off the thread pool's request threads.
        Task.Factory.StartNew(() => SuperviseAsync(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    /// <summary>
    /// Keeps a consumer running for the life of the service. librdkafka can put a consumer in a state its calls reject
    /// (a seek or resume on a partition taken away by a broker restart mid-rebalance); such an error must not end the
    /// service's consumption for good, as an unhandled exception in a hosted service does. The consumer is closed and
    /// built again from the committed offsets — nothing unapplied was stored, so nothing is skipped, and handlers
    /// deduplicate what is read twice.
    /// </summary>
    async Task SuperviseAsync(CancellationToken stoppingToken)
    {
        for (var restarts = 0; ; restarts++)
        {
            try
            {
                await RunAsync(stoppingToken);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                var delay = DependencyBackoff(Math.Min(restarts + 1, 6));
                KafkaTelemetry.ConsumerRestarts.Add(1, new KeyValuePair<string, object?>("messaging.consumer.group.name", _options.GroupId));
                _status.SetWaiting(_options.GroupId, restarts + 1, $"consumer failed and is being recreated ({ex.GetType().Name}: {ex.Message})", _clock);
                _logger.LogError(ex, "Kafka consumer {Group} failed; recreating it from the committed offsets in {Delay}", _options.GroupId, delay);
                await Task.Delay(delay, stoppingToken);
                _status.SetFlowing(_options.GroupId);
            }
        }
    }

    async Task RunAsync(CancellationToken stoppingToken)
    {
        // Not `using`: disposing closes the consumer, which the finally below bounds in time.
        var consumer = new ConsumerBuilder<string?, byte[]>(_configFactory.CreateConsumerConfig(_options.GroupId, _clientId))
            .SetLogHandler((_, message) => _logger.LogDebug("librdkafka {Facility}: {Message}", message.Facility, message.Message))
            .SetErrorHandler((_, error) => _logger.LogWarning("Kafka consumer {Group} error {Code}: {Reason}", _options.GroupId, error.Code, error.Reason))
            .SetPartitionsAssignedHandler((_, partitions) =>
            {
                _logger.LogInformation("Kafka consumer {Group} assigned {Partitions}", _options.GroupId, string.Join(", ", partitions));
                _ownership.Assigned(_options.GroupId, partitions);
            })
            .SetPartitionsRevokedHandler((c, partitions) =>
            {
                _logger.LogInformation("Kafka consumer {Group} revoked {Partitions}", _options.GroupId, string.Join(", ", partitions));
                Release(partitions);
                CommitStored(c);
            })
            .SetPartitionsLostHandler((_, partitions) =>
            {
                // The group forgot this member (a broker restart): the partitions may already be someone else's, and
                // a commit now only waits for a coordinator this consumer can rejoin only by polling again — a commit
                // here once left a consumer silent for good after a Kafka restart. Unapplied records are read again.
                _logger.LogWarning("Kafka consumer {Group} lost {Partitions}; rejoining without committing", _options.GroupId, string.Join(", ", partitions));
                Release(partitions);
            })
            .Build();

        _consumer = consumer;
        consumer.Subscribe(_options.Topics);
        _logger.LogInformation("Kafka consumer {Group} subscribed to {Topics}", _options.GroupId, string.Join(", ", _options.Topics));

        var sinceCommit = 0;
        var commitClock = Stopwatch.StartNew();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                List<ConsumeResult<string?, byte[]>> batch;
                try
                {
                    batch = Poll(consumer);
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    _logger.LogWarning("Kafka consumer {Group}: {Reason}", _options.GroupId, ex.Error.Reason);
                    await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
                    continue;
                }

                if (batch.Count > 0)
                {
                    if (await ProcessBatchAsync(batch, stoppingToken) == Outcome.Done)
                    {
                        // Only partitions still this consumer's: a partition lost meanwhile is read again by its owner.
                        var assigned = consumer.Assignment.ToHashSet();
                        foreach (var result in batch.Where(r => assigned.Contains(r.TopicPartition)))
                        {
                            consumer.StoreOffset(result);
                        }

                        sinceCommit += batch.Count;
                    }
                    else
                    {
                        Rewind(consumer, batch);
                    }

                    // Whatever became of the batch (applied, dead-lettered, abandoned), this consumer waits on nothing now.
                    SetFlowing(consumer, resume: true);
                }

                if (sinceCommit > 0 && (sinceCommit >= _options.CommitEvery || commitClock.Elapsed >= _options.CommitInterval))
                {
                    CommitStored(consumer);
                    sinceCommit = 0;
                    commitClock.Restart();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: records in flight were not stored, so they are delivered again after restart.
        }
        finally
        {
            SetFlowing(consumer, resume: false);
            _consumer = null;
            // The last commit and leaving the group are courtesies (unapplied records are read again, and the broker
            // drops a silent member after its session times out), and a consumer whose group state a broker restart
            // broke can block in them for good: bounded, so the service builds a new consumer instead of hanging.
            var closing = Task.Run(() =>
            {
                try
                {
                    CommitStored(consumer);
                    consumer.Close();
                }
                catch (KafkaException ex)
                {
                    _logger.LogWarning("Kafka consumer {Group} did not close cleanly: {Reason}", _options.GroupId, ex.Error.Reason);
                    _ownership.Revoked(_options.GroupId, consumer.Assignment);
                }
                finally
                {
                    consumer.Dispose();
                }
            }, CancellationToken.None);
            if (!closing.Wait(CloseLimit, CancellationToken.None))
            {
                _logger.LogWarning("Kafka consumer {Group} did not close within {Limit}; left behind", _options.GroupId, CloseLimit);
                _ownership.RevokedAll(_options.GroupId);
            }
        }
    }

    enum Outcome
    {
        /// <summary>Applied or safely dead-lettered: the offsets may move past the records.</summary>
        Done,

        /// <summary>
        /// Not applied: the partitions were revoked while the consumer waited for a dependency. Their offsets must not
        /// move; whoever owns them now reads them again from the last commit.
        /// </summary>
        Abandoned,
    }

    /// <summary>Puts the read position of partitions still assigned back to the first record of an abandoned batch.</summary>
    void Rewind(IConsumer<string?, byte[]> consumer, List<ConsumeResult<string?, byte[]>> batch)
    {
        var assigned = consumer.Assignment.ToHashSet();
        foreach (var first in batch.GroupBy(r => r.TopicPartition).Select(g => g.MinBy(r => r.Offset.Value)!))
        {
            if (assigned.Contains(first.TopicPartition))
            {
                consumer.Seek(first.TopicPartitionOffset);
            }
        }

        _logger.LogInformation("Kafka consumer {Group}: partitions changed while waiting; {Count} unapplied record(s) will be read again", _options.GroupId, batch.Count);
    }

    /// <summary>Partitions revoked or lost: no longer this consumer's, and a batch waiting on a dependency is abandoned.</summary>
    void Release(List<TopicPartitionOffset> partitions)
    {
        _ownership.Revoked(_options.GroupId, partitions.Select(p => p.TopicPartition));
        Interlocked.Increment(ref _revocations);
    }

    /// <summary>
    /// Logs a warning once a minute until disposed. A call that never returns (a handler's, or a synchronous commit's
    /// while the group coordinator is away) stops the consumer's polling, and with it every line the consumer would
    /// log; this says what it is waiting in.
    /// </summary>
    /// <remarks><paramref name="what"/> is only called when the warning is written: it runs on every batch.</remarks>
    Timer WarnWhileStuck(Func<string> what)
    {
        var started = Stopwatch.GetTimestamp();
        return new Timer(
            _ => _logger.LogWarning("Kafka consumer {Group}: {What} still running after {Elapsed:0} s", _options.GroupId, what(), Stopwatch.GetElapsedTime(started).TotalSeconds),
            null, StuckWarningInterval, StuckWarningInterval);
    }

    void CommitStored(IConsumer<string?, byte[]> consumer)
    {
        if (consumer.Assignment.Count == 0)
        {
            // Nothing to commit for; a synchronous commit would only wait for a group this consumer is not in.
            return;
        }

        try
        {
            using var watchdog = WarnWhileStuck(static () => "offset commit");
            var committed = consumer.Commit();
            KafkaTelemetry.Commits.Add(1);
            _logger.LogDebug("Kafka consumer {Group} committed {Offsets}", _options.GroupId, string.Join(", ", committed));
        }
        catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_NoOffset)
        {
            // Nothing handled since the last commit.
        }
        catch (KafkaException ex)
        {
            // Not fatal for correctness: the records are handled again after a restart and deduplicated.
            _logger.LogWarning("Kafka consumer {Group} commit failed: {Reason}", _options.GroupId, ex.Error.Reason);
        }
    }

    /// <summary>Waits briefly for one record, then takes whatever else is already fetched, up to the batch size.</summary>
    List<ConsumeResult<string?, byte[]>> Poll(IConsumer<string?, byte[]> consumer)
    {
        var batch = new List<ConsumeResult<string?, byte[]>>();
        var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
        while (result?.Message is not null)
        {
            batch.Add(result);
            if (batch.Count >= _options.MaxBatchSize)
            {
                break;
            }

            result = consumer.Consume(TimeSpan.Zero);
        }

        return batch;
    }

    async Task<Outcome> ProcessBatchAsync(List<ConsumeResult<string?, byte[]>> batch, CancellationToken stoppingToken)
    {
        var records = new List<(ConsumeResult<string?, byte[]> Result, EventEnvelope<T> Envelope)>(batch.Count);
        foreach (var result in batch)
        {
            try
            {
                records.Add((result, EnvelopeSerializer.Deserialize<T>(result.Message.Value)));
            }
            catch (InvalidEnvelopeException ex)
            {
                using var invalidActivity = StartProcessActivity(result, default);
                if (await AnswerInvalidAsync(result, ex, stoppingToken))
                {
                    continue;
                }

                await DeadLetterAsync(result, null, "invalid-envelope", ex.Message, ex, attempts: 0, invalidActivity, stoppingToken);
            }
        }

        return records.Count > 0 ? await HandleWithRetriesAsync(records, Volatile.Read(ref _revocations), stoppingToken) : Outcome.Done;
    }

    async Task<Outcome> HandleWithRetriesAsync(
        List<(ConsumeResult<string?, byte[]> Result, EventEnvelope<T> Envelope)> records, int revocations, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        var first = records[0];
        var topicTag = new KeyValuePair<string, object?>("messaging.destination.name", first.Result.Topic);
        using var activity = records.Count == 1
            ? StartProcessActivity(first.Result, TraceContext.Parse(first.Envelope.TraceParent, first.Envelope.TraceState))
            : StartBatchActivity(records);
        if (records.Count == 1)
        {
            activity?.SetTag("messaging.message.id", first.Envelope.Id);
        }

        // Failures of the handler itself count towards MaxAttempts; a dependency that does not answer does not.
        var failures = 0;
        var dependencyRetries = 0;
        for (var attempt = 1; ; attempt++)
        {
            var batch = records.Select(r => new KafkaRecord<T>(r.Envelope, new KafkaMessageContext
            {
                Topic = r.Result.Topic,
                Partition = r.Result.Partition.Value,
                Offset = r.Result.Offset.Value,
                Key = r.Result.Message.Key,
                ConsumerGroup = _options.GroupId,
                Attempt = attempt,
            })).ToList();
            string reason;
            try
            {
                await using var scope = _scopeFactory.CreateAsyncScope();
                var handler = scope.ServiceProvider.GetRequiredService<THandler>();
                var currentAttempt = attempt;
                using var watchdog = WarnWhileStuck(() => $"handler {_options.HandlerName} on {records.Count} record(s) from {first.Result.Topic}[{first.Result.Partition.Value}]@{first.Result.Offset.Value} (attempt {currentAttempt})");
                await handler.HandleBatchAsync(batch, stoppingToken);
                KafkaTelemetry.Consumed.Add(records.Count, topicTag);
                KafkaTelemetry.HandleDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, topicTag);
                SetFlowing(_consumer, resume: true);
                return Outcome.Done;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is not RejectEventException && TransientFailure.Is(ex, stoppingToken))
            {
                reason = $"{TransientFailure.DependencyOf(ex)} did not answer ({ex.GetType().Name}: {ex.Message})";
            }
            catch (Exception ex) when (records.Count > 1 && (ex is RejectEventException || failures + 1 >= _options.MaxAttempts))
            {
                // Find the culprit: every record on its own, so only what really fails is dead-lettered.
                _logger.LogWarning(ex, "Batch of {Count} on {Topic} failed; retrying its records one by one", records.Count, first.Result.Topic);
                foreach (var record in records)
                {
                    if (await HandleWithRetriesAsync([record], revocations, stoppingToken) == Outcome.Abandoned)
                    {
                        return Outcome.Abandoned;
                    }
                }

                return Outcome.Done;
            }
            catch (RejectEventException ex)
            {
                await DeadLetterAsync(first.Result, first.Envelope.Id, "rejected", ex.Message, ex, attempt, activity, stoppingToken);
                return Outcome.Done;
            }
            catch (Exception ex)
            {
                failures++;
                if (failures < _options.MaxAttempts)
                {
                    KafkaTelemetry.Retried.Add(1, topicTag);
                    var delay = Backoff(failures);
                    _logger.LogWarning(ex, "Handler {Handler} failed on {Count} record(s) from {Topic}[{Partition}]@{Offset} (attempt {Attempt}/{Max}); retrying in {Delay}",
                        _options.HandlerName, records.Count, first.Result.Topic, first.Result.Partition.Value, first.Result.Offset.Value, failures, _options.MaxAttempts, delay);
                    await Task.Delay(delay, stoppingToken);
                    continue;
                }

                // An error nobody classified as transient may still come from a dependency that is down: only a record
                // that fails while every readiness check passes is the record's fault.
                if (await UnhealthyDependencyAsync(stoppingToken) is not { } unhealthy)
                {
                    await DeadLetterAsync(first.Result, first.Envelope.Id, "handler-failed", $"handler {_options.HandlerName} failed {failures} times while its dependencies were healthy; last error: {ex.Message}", ex, attempt, activity, stoppingToken);
                    return Outcome.Done;
                }

                _logger.LogWarning("Handler {Handler} keeps failing while {Unhealthy}; waiting instead of dead-lettering", _options.HandlerName, unhealthy);
                failures = 0;
                reason = $"{unhealthy}; the handler failed meanwhile ({ex.GetType().Name}: {ex.Message})";
            }

            dependencyRetries++;
            KafkaTelemetry.DependencyRetries.Add(1, topicTag);
            var wait = DependencyBackoff(dependencyRetries);
            SetWaiting(_consumer, dependencyRetries, reason);
            _logger.LogWarning("Kafka consumer {Group} paused: {Reason}; retrying {Count} record(s) from {Topic}[{Partition}]@{Offset} in {Delay} (retry {Retry})",
                _options.GroupId, reason, records.Count, first.Result.Topic, first.Result.Partition.Value, first.Result.Offset.Value, wait, dependencyRetries);
            if (!await WaitPausedAsync(wait, revocations, stoppingToken))
            {
                return Outcome.Abandoned;
            }
        }
    }

    /// <summary>
    /// Waits with every assigned partition paused, still polling so librdkafka keeps the group membership and runs
    /// rebalances. False when partitions were revoked meanwhile: the records in hand may no longer be this consumer's.
    /// </summary>
    async Task<bool> WaitPausedAsync(TimeSpan delay, int revocations, CancellationToken stoppingToken)
    {
        var consumer = _consumer;
        if (consumer is null)
        {
            await Task.Delay(delay, stoppingToken);
            return true;
        }

        var until = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            stoppingToken.ThrowIfCancellationRequested();
            consumer.Pause(consumer.Assignment);
            var slice = TimeSpan.FromMilliseconds(Math.Clamp(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), until).TotalMilliseconds, 1, 200));
            ConsumeResult<string?, byte[]>? stray;
            try
            {
                stray = consumer.Consume(slice);
            }
            catch (ConsumeException ex) when (!ex.Error.IsFatal)
            {
                // The broker may be what is down; the wait goes on either way.
                _logger.LogDebug("Kafka consumer {Group} while paused: {Reason}", _options.GroupId, ex.Error.Reason);
                continue;
            }

            if (stray?.Message is not null)
            {
                // A partition assigned during the wait was not paused yet: put its record back for later.
                consumer.Seek(stray.TopicPartitionOffset);
                consumer.Pause([stray.TopicPartition]);
            }

            if (Volatile.Read(ref _revocations) != revocations)
            {
                return false;
            }

            await Task.Yield();
        }

        return true;
    }

    void SetWaiting(IConsumer<string?, byte[]>? consumer, int retries, string reason)
    {
        _status.SetWaiting(_options.GroupId, retries, reason, _clock);
        if (!_paused)
        {
            _paused = true;
            KafkaTelemetry.PausedConsumers.Add(1);
            consumer?.Pause(consumer.Assignment);
        }
    }

    void SetFlowing(IConsumer<string?, byte[]>? consumer, bool resume)
    {
        if (!_paused)
        {
            return;
        }

        _paused = false;
        KafkaTelemetry.PausedConsumers.Add(-1);
        _status.SetFlowing(_options.GroupId);
        if (resume && consumer is not null)
        {
            consumer.Resume(consumer.Assignment);
            _logger.LogInformation("Kafka consumer {Group}: dependency answered again; resumed", _options.GroupId);
        }
    }

    /// <summary>The first failing readiness check other than the consumers' own, or null when all pass.</summary>
    async Task<string?> UnhealthyDependencyAsync(CancellationToken stoppingToken)
    {
        await using var scope = _scopeFactory.CreateAsyncScope();
        if (scope.ServiceProvider.GetService<HealthCheckService>() is not { } health)
        {
            return null;
        }

        var report = await health.CheckHealthAsync(
            r => r.Tags.Contains(HealthTags.Ready) && r.Name != KafkaConsumersHealthCheck.Name, stoppingToken);
        return report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy)
            .Select(e => $"{e.Key} is unhealthy ({e.Value.Description})")
            .FirstOrDefault();
    }

    TimeSpan DependencyBackoff(int retry)
    {
        var factor = Math.Pow(2, Math.Min(retry - 1, 20));
        var delay = TimeSpan.FromMilliseconds(_dependencyInitialBackoff.TotalMilliseconds * factor);
        return delay < _dependencyMaxBackoff ? delay : _dependencyMaxBackoff;
    }

    Activity? StartBatchActivity(List<(ConsumeResult<string?, byte[]> Result, EventEnvelope<T> Envelope)> records)
    {
        // A batch has many parents; each record's trace is linked rather than continued.
        var links = records
            .Select(r => TraceContext.Parse(r.Envelope.TraceParent, r.Envelope.TraceState))
            .Where(c => c != default)
            .Select(c => new ActivityLink(c))
            .ToList();
        var activity = KafkaTelemetry.Source.StartActivity(records[0].Result.Topic + " process", ActivityKind.Consumer, parentContext: default, links: links);
        activity?.SetTag("messaging.system", "kafka");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", records[0].Result.Topic);
        activity?.SetTag("messaging.consumer.group.name", _options.GroupId);
        activity?.SetTag("messaging.batch.message_count", records.Count);
        return activity;
    }

    TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 20));
        var delay = TimeSpan.FromMilliseconds(_options.InitialBackoff.TotalMilliseconds * factor);
        return delay < _options.MaxBackoff ? delay : _options.MaxBackoff;
    }

    Activity? StartProcessActivity(ConsumeResult<string?, byte[]> result, ActivityContext parent)
    {
        var activity = KafkaTelemetry.Source.StartActivity(result.Topic + " process", ActivityKind.Consumer, parent);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", result.Topic);
            activity.SetTag("messaging.consumer.group.name", _options.GroupId);
            activity.SetTag("messaging.destination.partition.id", result.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.kafka.offset", result.Offset.Value);
            activity.SetTag("messaging.kafka.message.key", result.Message.Key);
        }

        return activity;
    }

    /// <summary>Hands an unreadable record to the consumer's own answer, if it has one; false to dead-letter it.</summary>
    async Task<bool> AnswerInvalidAsync(ConsumeResult<string?, byte[]> result, InvalidEnvelopeException exception, CancellationToken stoppingToken)
    {
        if (_options.OnInvalidRecord is null)
        {
            return false;
        }

        var record = new InvalidKafkaRecord(
            new KafkaMessageContext
            {
                Topic = result.Topic, Partition = result.Partition.Value, Offset = result.Offset.Value, Key = result.Message.Key,
                ConsumerGroup = _options.GroupId, Attempt = 1,
            },
            result.Message.Value,
            exception);
        try
        {
            await using var scope = _scopeFactory.CreateAsyncScope();
            await _options.OnInvalidRecord(scope.ServiceProvider, record, stoppingToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            _logger.LogWarning(ex, "Invalid record {Topic}[{Partition}]@{Offset} could not be answered by {Handler}; dead-lettering it",
                result.Topic, result.Partition.Value, result.Offset.Value, _options.HandlerName);
            return false;
        }
    }

    async Task DeadLetterAsync(
        ConsumeResult<string?, byte[]> result, string? eventId, string kind, string reason, Exception exception, int attempts, Activity? activity, CancellationToken stoppingToken)
    {
        activity?.SetStatus(ActivityStatusCode.Error, reason);
        var record = new DeadLetterRecord
        {
            OriginalTopic = result.Topic,
            OriginalPartition = result.Partition.Value,
            OriginalOffset = result.Offset.Value,
            OriginalKey = result.Message.Key,
            OriginalValue = DecodeValue(result.Message.Value),
            OriginalEventId = eventId,
            ConsumerGroup = _options.GroupId,
            Reason = reason,
            FailureKind = kind,
            ExceptionType = exception.GetType().FullName,
            Attempts = attempts,
            FailedAt = DateTimeOffset.UtcNow,
        };

        // The record's offset is committed only once the dead letter is safely on the broker, so a record
        // is never lost: if the broker is down this waits (and retries) rather than move on.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _producer.ProduceAsync(_deadLetterTopic, result.Message.Key ?? eventId ?? $"{result.Topic}-{result.Partition.Value}", record, stoppingToken);
                KafkaTelemetry.DeadLettered.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", result.Topic), new KeyValuePair<string, object?>("failure.kind", kind));
                _logger.LogError("Dead-lettered {Topic}[{Partition}]@{Offset} to {DeadLetterTopic} ({Kind}): {Reason}",
                    result.Topic, result.Partition.Value, result.Offset.Value, _deadLetterTopic, kind, reason);
                return;
            }
            catch (ProduceException<string?, byte[]> ex) when (ex.Error.Code == ErrorCode.MsgSizeTooLarge && record.OriginalValue is not null)
            {
                // A record close to the broker's size limit no longer fits once wrapped with the reason; retrying would
                // block the partition forever. Keep everything but the value (a dead letter without one cannot be replayed).
                record = record with
                {
                    OriginalValue = null,
                    Reason = $"{reason} [the original value ({result.Message.Value?.Length ?? 0} bytes) is not kept: with the reason it exceeds the broker's record size limit]",
                };
            }
            catch (ProduceException<string?, byte[]> ex)
            {
                _logger.LogWarning("Could not write dead letter for {Topic}[{Partition}]@{Offset} (attempt {Attempt}): {Reason}",
                    result.Topic, result.Partition.Value, result.Offset.Value, attempt, ex.Error.Reason);
                await Task.Delay(Backoff(attempt), stoppingToken);
            }
        }
    }

    static string? DecodeValue(byte[]? value)
    {
        if (value is null)
        {
            return null;
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return "base64:" + Convert.ToBase64String(value);
        }
    }
}
