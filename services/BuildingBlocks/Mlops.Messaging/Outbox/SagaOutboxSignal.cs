using Mlops.ServiceDefaults.Background;

namespace Mlops.Messaging.Outbox;

/// <summary>Wakes the saga outbox relay when this process committed outbox messages.</summary>
public sealed class SagaOutboxSignal : WakeSignal;
