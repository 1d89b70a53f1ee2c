using static Mlops.Gateway.Security.Roles;

namespace Mlops.Gateway.Tests.Security;

/// <summary>
/// Every endpoint the services expose through the gateway (and the gateway's own key API), with the gateway route
/// that should carry it and the roles allowed through — written out here, independently of the gateway's tables, as
/// docs/security.md states them. <c>admin</c> is allowed everywhere and not repeated.
/// </summary>
public static class RouteRoleMatrix
{
    /// <summary>One request and who may make it.</summary>
    public sealed record Row(string Method, string Path, string Route, string[] Allowed)
    {
        public override string ToString() => $"{Method} {Path}";
    }

    static readonly string[] AnyKey = [Ingest, Predict, Train, Operate];
    static readonly string[] AdminOnly = [];

    public static readonly IReadOnlyList<Row> Rows =
    [
        // ingestion
        new("POST", "/api/ingestion/observations", "ingestion", [Ingest]),
        new("POST", "/api/ingestion/observations/batch", "ingestion", [Ingest]),
        new("POST", "/api/ingestion/datasets", "ingestion", [Ingest]),
        new("PUT", "/api/ingestion/schemas/vitals", "ingestion", [Ingest]),
        new("GET", "/api/ingestion/datasets", "ingestion-read", AnyKey),
        new("GET", "/api/ingestion/datasets/ds-1", "ingestion-read", AnyKey),
        new("GET", "/api/ingestion/datasets/ds-1/observations", "ingestion-read", AnyKey),
        new("GET", "/api/ingestion/schemas", "ingestion-read", AnyKey),
        new("GET", "/api/ingestion/schemas/vitals/versions", "ingestion-read", AnyKey),
        new("GET", "/api/ingestion/deadletters", "ingestion-read", AnyKey),
        new("GET", "/api/ingestion/deadletters/replays", "ingestion-read", AnyKey),
        new("POST", "/api/ingestion/deadletters/7/replay", "ingestion-deadletters", [Operate]),

        // features
        new("GET", "/api/features/online", "features-online-read", [Predict, Operate]),
        new("GET", "/api/features/online/patient-1", "features-online-read", [Predict, Operate]),
        new("GET", "/api/features/definitions", "features-read", AnyKey),
        new("GET", "/api/features/definition-sets", "features-read", AnyKey),
        new("GET", "/api/features/definition-sets/vitals/versions", "features-read", AnyKey),
        new("PUT", "/api/features/definition-sets/vitals", "features", [Operate]),
        new("POST", "/api/features/backfill", "features", [Operate]),
        new("POST", "/api/features/labels", "features-labels", [Ingest]),
        new("POST", "/api/features/training-sets", "features-training-sets", [Train]),

        // training
        new("POST", "/api/training/runs", "training", [Train]),
        new("POST", $"/api/training/runs/{Guid.Empty}/cancel", "training", [Train]),
        new("GET", "/api/training/runs", "training-read", AnyKey),
        new("GET", "/api/training/runs/compare", "training-read", AnyKey),
        new("GET", $"/api/training/runs/{Guid.Empty}", "training-read", AnyKey),
        new("GET", $"/api/training/runs/{Guid.Empty}/artifacts/model", "training-read", AnyKey),

        // registry
        new("POST", "/api/registry/artifacts", "registry-artifacts", [Train]),
        new("POST", "/api/registry/models/deterioration/versions", "registry-register", [Train]),
        new("POST", "/api/registry/models/deterioration/promotions", "registry", [Operate]),
        new("POST", $"/api/registry/models/deterioration/promotions/{Guid.Empty}/approve", "registry", [Operate]),
        new("POST", $"/api/registry/models/deterioration/promotions/{Guid.Empty}/reject", "registry", [Operate]),
        new("POST", "/api/registry/models/deterioration/rollback", "registry", [Operate]),
        new("PUT", "/api/registry/models/deterioration/policy", "registry", [Operate]),
        new("POST", "/api/registry/models/deterioration/versions/3/archive", "registry", [Operate]),
        new("PUT", "/api/registry/models/deterioration/traffic", "registry", [Operate]),
        new("GET", "/api/registry/models", "registry-read", AnyKey),
        new("GET", "/api/registry/models/deterioration", "registry-read", AnyKey),
        new("GET", "/api/registry/models/deterioration/aliases/champion", "registry-read", AnyKey),
        new("GET", "/api/registry/models/deterioration/deployment", "registry-read", AnyKey),
        new("GET", "/api/registry/models/deterioration/history", "registry-read", AnyKey),
        new("GET", "/api/registry/models/deterioration/versions/3", "registry-read", AnyKey),
        new("GET", "/api/registry/models/deterioration/versions/3/card.md", "registry-read", AnyKey),
        new("GET", "/api/registry/artifacts/abc123", "registry-read", AnyKey),
        new("GET", "/api/registry/deployments", "registry-read", AnyKey),
        // rollouts: starting one and every decision on it change what serves patients; watching it is a read
        new("POST", "/api/registry/rollouts", "registry", [Operate]),
        new("POST", $"/api/registry/rollouts/{Guid.Empty}/approve", "registry", [Operate]),
        new("POST", $"/api/registry/rollouts/{Guid.Empty}/abort", "registry", [Operate]),
        new("POST", $"/api/registry/rollouts/{Guid.Empty}/promote", "registry", [Operate]),
        new("GET", "/api/registry/rollouts", "registry-read", AnyKey),
        new("GET", $"/api/registry/rollouts/{Guid.Empty}", "registry-read", AnyKey),

        // inference
        new("POST", "/api/inference/predict", "inference", [Predict]),
        new("POST", "/api/inference/predict/batch", "inference", [Predict]),
        new("POST", "/api/inference/entities/patient-1/predict", "inference", [Predict]),
        new("POST", "/api/inference/models/deterioration/predict", "inference", [Predict]),
        new("POST", "/api/inference/models/deterioration/entities/patient-1/predict", "inference", [Predict]),
        new("POST", "/api/inference/model", "inference-model-load", AdminOnly),
        new("POST", "/api/inference/batch-jobs", "inference-batch-jobs", [Operate]),
        new("POST", "/api/inference/batch-jobs/job-1/cancel", "inference-batch-job-cancel", [Operate]),
        new("GET", "/api/inference/batch-jobs", "inference-read", AnyKey),
        new("GET", "/api/inference/batch-jobs/job-1/results", "inference-read", AnyKey),
        new("GET", "/api/inference/model", "inference-read", AnyKey),
        new("GET", "/api/inference/models", "inference-read", AnyKey),
        new("GET", "/api/inference/models/deterioration", "inference-read", AnyKey),
        new("POST", "/v2/models/deterioration/infer", "inference-v2", [Predict]),
        new("POST", "/v2/models/deterioration/versions/3/infer", "inference-v2", [Predict]),
        new("GET", "/v2/health/live", "inference-v2-read", AnyKey),
        new("GET", "/v2/health/ready", "inference-v2-read", AnyKey),
        new("GET", "/v2/models/deterioration", "inference-v2-read", AnyKey),
        new("GET", "/v2/models/deterioration/ready", "inference-v2-read", AnyKey),
        new("GET", "/api/lineage/predictions/0193a4f2-7c1e-7b3a-9d2e-5f6a7b8c9d0e", "lineage-read", AnyKey),
        new("GET", "/api/lineage/observations/obs-1/predictions", "lineage-read", AnyKey),

        // monitoring
        new("GET", "/api/monitoring/drift", "monitoring-read", AnyKey),
        new("GET", "/api/monitoring/models/deterioration/variants", "monitoring-read", AnyKey),
        new("POST", "/api/monitoring/alerts/ack", "monitoring", [Operate]),

        // the gateway's own key management
        new("GET", "/api/gateway/keys", "(gateway) keys", AdminOnly),
        new("POST", "/api/gateway/keys", "(gateway) keys", AdminOnly),
        new("GET", "/api/gateway/keys/abc", "(gateway) keys", AdminOnly),
        new("DELETE", "/api/gateway/keys/abc", "(gateway) keys", AdminOnly),

        // the gateway's dashboard API (the event stream is tested on its own: it never ends)
        new("GET", "/api/gateway/me", "(gateway) dashboard", AnyKey),
        new("GET", "/api/gateway/dashboard/services", "(gateway) dashboard", AnyKey),

        // the gateway's A/B experiments: defining one, adding its counts and stopping it are an operator's acts
        new("POST", "/api/gateway/experiments", "(gateway) experiments", [Operate]),
        new("POST", $"/api/gateway/experiments/{Guid.Empty}/observations", "(gateway) experiments", [Operate]),
        new("POST", $"/api/gateway/experiments/{Guid.Empty}/stop", "(gateway) experiments", [Operate]),
        new("GET", "/api/gateway/experiments", "(gateway) experiments", AnyKey),
        new("GET", "/api/gateway/experiments/sample-size", "(gateway) experiments", AnyKey),
        new("GET", $"/api/gateway/experiments/{Guid.Empty}", "(gateway) experiments", AnyKey),
        new("GET", $"/api/gateway/experiments/{Guid.Empty}/looks", "(gateway) experiments", AnyKey),

        // the gateway's shadow comparison report
        new("GET", "/api/gateway/shadow/deterioration", "(gateway) shadow", AnyKey),
    ];

    /// <summary>
    /// Paths that answer without a key (health probes, metrics, API documents and their reference page, the dashboard's
    /// page and bundle, which hold no data).
    /// </summary>
    public static readonly IReadOnlyList<string> Anonymous =
    [
        "/", "/dashboard/app.js",
        "/health/live", "/health/ready", "/metrics", "/api-reference", "/openapi/ingestion.json", "/openapi/features.json",
        "/openapi/training.json", "/openapi/registry.json", "/openapi/inference.json", "/openapi/monitoring.json",
    ];

    /// <summary>The rows as (method, path) pairs, so each shows as its own test case.</summary>
    public static TheoryData<string, string> All()
    {
        var data = new TheoryData<string, string>();
        foreach (var row in Rows)
        {
            data.Add(row.Method, row.Path);
        }

        return data;
    }

    public static Row Find(string method, string path) => Rows.Single(r => r.Method == method && r.Path == path);
}
