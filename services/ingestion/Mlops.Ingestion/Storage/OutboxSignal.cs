using Mlops.ServiceDefaults.Background;

namespace Mlops.Ingestion.Storage;

/// <summary>Wakes the observation outbox relay as soon as observations were stored.</summary>
public sealed class OutboxSignal : WakeSignal;
