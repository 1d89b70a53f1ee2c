using System.Diagnostics;
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
public sealed class ObservationIntake(ObservationValidator validator, RawObservationStore store, SchemaCatalog catalog)
{
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
                var i = validIndex[j];
                results[i] = stored[j].Outcome switch
                {
                    StoreOutcome.Accepted => new IntakeResult(i, valid[j].ObservationId, IntakeStatus.Accepted, stored[j].Sequence, []),
                    StoreOutcome.Duplicate => new IntakeResult(i, valid[j].ObservationId, IntakeStatus.Duplicate, stored[j].Sequence, []),
                    _ => new IntakeResult(i, valid[j].ObservationId, IntakeStatus.Rejected, null,
                        [new FieldError("observationId", $"observationId '{valid[j].ObservationId}' is already used by a different observation")]),
                };
            }
        }

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

        activity?.SetTag("mlops.ingestion.accepted", results.Count(r => r.Status == IntakeStatus.Accepted));
        return results;
    }
}
