using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Ingestion;
using Mlops.Ingestion.Schemas;
using Mlops.Ingestion.Storage;
using Mlops.Ingestion.Validation;

namespace Mlops.Ingestion;

/// <summary>Outcome of one observation handed to ingestion.</summary>
public enum IntakeStatus
{
    /// <summary>Stored and queued for publication.</summary>
    Accepted,

    /// <summary>Already stored earlier; acknowledged.</summary>
    Duplicate,

    /// <summary>Refused; see the errors.</summary>
    Rejected,
}

/// <summary>One observation's outcome.</summary>
public sealed record IntakeResult(int Index, string? ObservationId, IntakeStatus Status, long? Sequence, IReadOnlyList<FieldError> Errors);

/// <summary>Validates observations and stores the valid ones; shared by the HTTP and Kafka intake paths.</summary>
public sealed class ObservationIntake(
    ObservationValidator validator, RawObservationStore store, ObservationGroupCommit groupCommit, IOptions<GroupCommitOptions> groupCommitOptions, SchemaCatalog catalog)
{
    /// <summary>
    /// Validates one observation and stores it with the next group commit, shared with the single observations sent
    /// meanwhile (the HTTP single-observation path); answered once that commit is durable.
    /// </summary>
    public async Task<IntakeResult> IngestOneAsync(RawObservation? raw, List<FieldError> parseErrors, CancellationToken cancellationToken)
    {
        using var activity = IngestionTelemetry.Source.StartActivity("ingest observation");
        await catalog.RefreshAsync(cancellationToken);
        var observation = raw is not null && parseErrors.Count == 0 ? validator.Validate(raw, parseErrors) : null;
        var result = observation is null
            ? new IntakeResult(0, raw?.ObservationId, IntakeStatus.Rejected, null, parseErrors)
            : ToResult(0, observation, groupCommitOptions.Value.Enabled
                ? await groupCommit.StoreAsync(observation, cancellationToken)
                : (await store.StoreAsync([observation], cancellationToken))[0]);
        Count([result]);
        activity?.SetTag("mlops.ingestion.status", result.Status.ToString());
        return result;
    }

    /// <summary>Validates and stores a batch (null items are parse failures already described in <paramref name="parseErrors"/>).</summary>
    public async Task<IReadOnlyList<IntakeResult>> IngestAsync(
        IReadOnlyList<RawObservation?> batch, IReadOnlyList<List<FieldError>>? parseErrors, CancellationToken cancellationToken)
    {
        using var activity = IngestionTelemetry.Source.StartActivity("ingest observations");
        activity?.SetTag("mlops.batch.size", batch.Count);
        await catalog.RefreshAsync(cancellationToken);

        var results = new IntakeResult[batch.Count];
        var valid = new List<ValidatedObservation>(batch.Count);
        var validIndex = new List<int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var errors = parseErrors?[i] ?? [];
            var observation = batch[i] is { } raw && errors.Count == 0 ? validator.Validate(raw, errors) : null;
            if (observation is null)
            {
                results[i] = new IntakeResult(i, batch[i]?.ObservationId, IntakeStatus.Rejected, null, errors);
                continue;
            }

            valid.Add(observation);
            validIndex.Add(i);
        }

        if (valid.Count > 0)
        {
            var stored = await store.StoreAsync(valid, cancellationToken);
            for (var j = 0; j < valid.Count; j++)
            {
                results[validIndex[j]] = ToResult(validIndex[j], valid[j], stored[j]);
            }
        }

        Count(results);
        activity?.SetTag("mlops.ingestion.accepted", results.Count(r => r.Status == IntakeStatus.Accepted));
        return results;
    }

    static IntakeResult ToResult(int index, ValidatedObservation observation, StoreResult stored) => stored.Outcome switch
    {
        StoreOutcome.Accepted => new IntakeResult(index, observation.ObservationId, IntakeStatus.Accepted, stored.Sequence, []),
        StoreOutcome.Duplicate => new IntakeResult(index, observation.ObservationId, IntakeStatus.Duplicate, stored.Sequence, []),
        _ => new IntakeResult(index, observation.ObservationId, IntakeStatus.Rejected, null,
            [new FieldError("observationId", $"observationId '{observation.ObservationId}' is already used by a different observation")]),
    };

    static void Count(IEnumerable<IntakeResult> results)
    {
        foreach (var group in results.GroupBy(r => r.Status))
        {
            var counter = group.Key switch
            {
                IntakeStatus.Accepted => IngestionTelemetry.Accepted,
                IntakeStatus.Duplicate => IngestionTelemetry.Duplicates,
                _ => IngestionTelemetry.Rejected,
            };
            counter.Add(group.Count());
        }
    }
}
