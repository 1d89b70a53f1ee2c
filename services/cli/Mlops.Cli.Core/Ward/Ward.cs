namespace Mlops.Cli.Core.Ward;

/// <summary>A generated ward: history in time order, one outcome per patient, and each patient's latent risk.</summary>
public sealed record Ward(
    WardOptions Options,
    IReadOnlyList<ObservationRow> Observations,
    IReadOnlyList<OutcomeRow> Outcomes,
    IReadOnlyList<PatientProfile> Patients);

/// <summary>A patient's hidden state: the latent risk the vitals and the outcome are drawn from.</summary>
public sealed record PatientProfile(string EntityId, double LatentRisk, DateTimeOffset AssessmentTime, bool Deteriorated);
