// The shapes of the gateway's and services' answers the pages read (camelCase JSON of their C# records), so tsc checks
// every field a page uses; fields a page does not read are left out.

/** Dashboard/ServiceStatus.cs */
export interface ServiceStatus {
  service: string; address: string; health: string; detail: string | null; requestsTotal: number | null; errorsTotal: number | null;
  requestsPerSecond: number | null; errorsPerSecond: number | null; checkedAt: string;
}

/** Dashboard/ServiceStatus.cs FeedSnapshot: one Server-Sent Event of the live feed. */
export interface FeedSnapshot { sequence: number; at: string; services: ServiceStatus[]; topics: Record<string, number> }

/** Monitoring's alert history (Api/PerformanceReportReader.cs AlertEntry; GET /api/monitoring/alerts). */
export interface AlertEntry { alertId: string; type: string; modelName: string; modelVersion: string; variant: string; detectedAt: string; publishedAt: string | null }

/** Monitoring's performance windows (Api/PerformanceReportReader.cs PerformanceWindow; GET /api/monitoring/models/{m}/performance). */
export interface PerformanceWindow {
  windowId: number; modelName: string; modelVersion: string; variant: string; windowStart: string; windowEnd: string; predictions: number; labeled: number;
  coverage: number; positives: number; auroc: number | null; brier: number | null; ece: number | null; baselineAuroc: number | null; degraded: boolean | null;
}

/** Monitoring's webhooks (Webhooks/WebhookStore.cs Subscription, Delivery, Attempt). */
export interface WebhookSubscription { webhookId: string; url: string; eventTypes: string[]; createdAt: string }
export interface WebhookAttempt { number: number; attemptedAt: string; statusCode: number | null; error: string | null; latencyMs: number }
export interface WebhookDelivery {
  deliveryId: number; alertId: string; eventType: string; status: string; attempts: number; createdAt: string; finishedAt: string | null;
  nextAttemptAt: string | null; history: WebhookAttempt[];
}

/** Monitoring's retraining requests and sagas (Api/RetrainingApi.cs RetrainingView, Retraining/RetrainingState.cs RetrainingStepRecord). */
export interface RetrainingStep { step: string; startedAt: string; finishedAt: string | null; outcome: string | null }
export interface RetrainingView {
  id: string; modelName: string; trigger: string; reason: string; requestedBy: string; requestedAt: string; status: string; debounceReason: string | null;
  state: string | null; outcome: string | null; outcomeReason: string | null; championVersion: string | null; candidateVersion: string | null;
  rolloutId: string | null; finishedAt: string | null; steps: RetrainingStep[];
}

/** The registry's rollout saga (GET /api/registry/rollouts/{id}). */
export interface Measurement { metric: string; value: number | null; threshold: number; verdict: string; evidence: string | null }
export interface Analysis { number: number; measuredAt: string; measurements: Measurement[] | null }
export interface RolloutStep { index: number; trafficPercent: number; startedAt: string; finishedAt: string | null; outcome: string | null; analyses: Analysis[] | null }
export interface RolloutAction { action: string; by: string; reason: string | null; at: string }
export interface Rollout {
  rolloutId: string; modelName: string; candidateVersion: string; state: string; reason: string | null; currentStep: number; steps: number[];
  startedAt: string; analysisInterval: string; failures: number; failureLimit: number; nextAnalysisAt: string | null;
  stepHistory: RolloutStep[] | null; actions: RolloutAction[] | null;
}

/** The gateway's shadow comparison (GET /api/gateway/shadow/{model}). */
export interface ShadowPair {
  primaryVariant: string; primaryVersion: string; shadowVersion: string; predictions: number; agreement: number | null;
  meanAbsoluteDifference: number | null; p99AbsoluteDifference: number | null;
}

/** Experiments/ExperimentAnalysis.cs */
export interface ArmStatus {
  name: string; variant: string; weight: number; n: number; successes: number; rate: number | null; difference: number | null;
  pValue: number | null; confidenceLower: number | null; confidenceUpper: number | null;
}
/** Who stopped an experiment, when and why (POST /api/gateway/experiments/{id}/stop). */
export interface ExperimentStop { at: string; by: string; reason: string }
export interface ExperimentStatus {
  id: string; name: string; modelName: string; alpha: number; arms: ArmStatus[]; decision: string; reason: string; createdAt: string;
  stopped: ExperimentStop | null;
}
/** Experiments/ExperimentLook.cs: one look's counts and p-values (GET /api/gateway/experiments/{id}/looks). */
export interface ExperimentLookArm { name: string; trials: number; successes: number; pValue: number | null; minPValue: number }
export interface ExperimentLook { look: number; at: string; arms: ExperimentLookArm[] }

/** The training service's run records (Tracking/RunRecords.cs). */
export interface ArtifactInfo { name: string; contentType: string; sha256: string; size: number }
export interface RunStep { step: string; status: string; attempts: number; startedAt: string; finishedAt: string | null; durationMs: number | null }
export interface RunRecord {
  runId: string; parentRunId: string | null; name: string; modelName: string; status: string; currentStep: string | null;
  parameters: unknown; metrics: Record<string, number>; datasetVersion: string | null; featureSetVersion: string | null; seed: number;
  machine: string | null; startedAt: string; finishedAt: string | null; durationMs: number | null; failedStep: string | null;
  failureReason: string | null; artifacts: ArtifactInfo[]; childRunIds: string[]; steps: RunStep[];
}
export interface RunView { run: RunRecord; pipelineState: string | null; currentStep: string | null }
export interface MetricDelta { a: number | null; b: number | null; difference: number | null }
export interface RunComparison { a: RunRecord; b: RunRecord; metrics: Record<string, MetricDelta>; sameParameters: boolean; sameTrainingSet: boolean; sameModel: boolean }

/** The held-out evaluation of a run (GET /api/training/runs/{id}/evaluation; Mlops.Training.Algorithms BinaryMetrics). */
export interface RocPoint { falsePositiveRate: number; truePositiveRate: number; threshold: number }
export interface ReliabilityBin { lower: number; upper: number; count: number; meanPredicted: number | string; observedRate: number | string }
export interface Evaluation { count: number; positives: number; auroc: number | string; roc: RocPoint[]; reliability: ReliabilityBin[] }

/** The ingestion service's dead letters (Mlops.Kafka DeadLetterEntry.cs, Mlops.Contracts DeadLetterRecord.cs). */
export interface DeadLetterRecord { originalTopic: string; originalPartition: number; originalOffset: number; originalKey: string | null; consumerGroup: string; failureKind: string; reason: string }
export interface DeadLetterReplay { deadLetterId: string; replayedBy: string; reason: string; targetTopic: string; publishedOffset: number | null; requestedAt: string }
export interface DeadLetterEntry { id: string; deadLetteredAt: string; record: DeadLetterRecord; replays: DeadLetterReplay[] }

/** One SLO of one model version now (GET /api/monitoring/slo): each burn-rate rule's windows and whether it fires. */
export interface SloStatus {
  modelName: string; modelVersion: string; kind: string; objective: number; latencyThresholdMs: number | null; evaluatedAt: string;
  rules: { severity: string; burnRateThreshold: number; firing: boolean;
    long: { window: string; bad: number; total: number; burnRate: number | null }; short: { window: string; bad: number; total: number; burnRate: number | null } }[];
}
