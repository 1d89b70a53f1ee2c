namespace Mlops.Inference.Models;

/// <summary>Settings of the inference service (configuration section <c>Inference</c>).</summary>
public sealed class InferenceOptions
{
    public const string SectionName = "Inference";

    /// <summary>
    /// Models this pod serves; the first answers at start. The entry named <see cref="ModelName"/> is also the template
    /// (features, baseline) for the versions the registry deploys. Inputs and outputs are named by the platform's
    /// contract (<see cref="Mlops.Contracts.Models.ModelOutputNames"/>), not configured.
    /// </summary>
    public List<ModelDeployment> Models { get; set; } = [];

    /// <summary>Dynamic batching of concurrent requests.</summary>
    public BatchingOptions Batching { get; set; } = new();

    /// <summary>Streaming scoring of <c>features.v1</c>.</summary>
    public StreamingOptions Streaming { get; set; } = new();

    /// <summary>
    /// Registered model this pod serves; its <c>DeploymentChanged</c> events (and no other model's) hot-swap the
    /// model. Empty: the pod does not follow the registry.
    /// </summary>
    public string ModelName { get; set; } = "";

    /// <summary>Base address of the registry service, whose <c>GET /api/registry/artifacts/{sha256}</c> serves artifacts.</summary>
    public Uri? RegistryBaseAddress { get; set; }

    /// <summary>Deployment route (alias) this pod serves; the route with the largest share when no route has it.</summary>
    public string Alias { get; set; } = "champion";

    /// <summary>Where fetched artifacts are kept, by SHA-256 (default: a directory under the temp path).</summary>
    public string ArtifactCacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "mlops-inference-artifacts");

    /// <summary>
    /// Queue of this pod's deployment events. Every pod needs its own (each must see every event), so the default
    /// is a unique, auto-deleted queue.
    /// </summary>
    public string? DeploymentsEndpoint { get; set; }
}

/// <summary>One model version assigned to this pod.</summary>
public sealed record ModelDeployment
{
    public string Name { get; init; } = "";

    public string Version { get; init; } = "";

    /// <summary>Path of the ONNX artifact (the registry will hand out content-addressed artifacts later).</summary>
    public string Path { get; init; } = "";

    /// <summary>Expected SHA-256 of the artifact (hex); the artifact is refused when it differs.</summary>
    public string Sha256 { get; init; } = "";

    /// <summary>Feature names in the order of the model's input columns.</summary>
    public List<string> Features { get; init; } = [];

    /// <summary>Reference value per feature that contributions are measured from (0 when not given).</summary>
    public Dictionary<string, double> Baseline { get; init; } = [];
}

/// <summary>Triton-style dynamic batching.</summary>
public sealed class BatchingOptions
{
    /// <summary>Off means every request runs alone (a batch of one).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Largest batch handed to the model.</summary>
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>
    /// Longest the first request of a batch waits for others to join. Zero (Triton's default) batches whatever
    /// queued up while the previous batch ran, without adding delay.
    /// </summary>
    public TimeSpan MaxQueueDelay { get; set; } = TimeSpan.Zero;
}

/// <summary>Streaming scoring settings.</summary>
public sealed class StreamingOptions
{
    public bool Enabled { get; set; } = true;

    public string FeaturesTopic { get; set; } = Mlops.Contracts.Kafka.Topics.Features;

    public string PredictionsTopic { get; set; } = Mlops.Contracts.Kafka.Topics.Predictions;

    public string ConsumerGroup { get; set; } = "inference-streaming";
}
