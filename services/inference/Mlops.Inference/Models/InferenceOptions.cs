namespace Mlops.Inference.Models;

/// <summary>Settings of the inference service (configuration section <c>Inference</c>).</summary>
public sealed class InferenceOptions
{
    public const string SectionName = "Inference";

    /// <summary>
    /// Registered models this pod serves, by name (as Triton/KServe serve a model repository). Empty: every model the
    /// registry has deployed.
    /// </summary>
    public List<string> Models { get; set; } = [];

    /// <summary>
    /// The model the unnamed routes (<c>/api/inference/predict</c>, <c>/entities/{id}/predict</c>) answer with; while it
    /// is not loaded, the rule-based fallback answers for it (in streaming too, on the shipped set's vectors).
    /// </summary>
    public string DefaultModel { get; set; } = "deterioration";

    /// <summary>
    /// Model versions loaded from local artifacts at start (offline pods, tests, benchmarks), beside what the registry
    /// deploys. An entry is also the template (feature order, contribution baseline) for versions of its name that
    /// the registry deploys later.
    /// </summary>
    public List<ModelDeployment> LocalModels { get; set; } = [];

    /// <summary>Dynamic batching of concurrent requests.</summary>
    public BatchingOptions Batching { get; set; } = new();

    /// <summary>Streaming scoring of <c>features.v1</c>.</summary>
    public StreamingOptions Streaming { get; set; } = new();

    /// <summary>
    /// Base address of the registry: <c>GET /api/registry/deployments</c> (every model's current deployment, asked at
    /// start) and <c>GET /api/registry/artifacts/{sha256}</c>. Null: the pod does not follow the registry.
    /// </summary>
    public Uri? RegistryBaseAddress { get; set; }

    /// <summary>
    /// Base address of the features service: its online store warms the local cache at start
    /// (<c>GET /api/features/online</c>, paged) and answers a cache miss (<c>GET /api/features/online/{entityId}</c>).
    /// </summary>
    public Uri? FeaturesBaseAddress { get; set; }

    /// <summary>How long a vector this replica cannot vouch for is served from its cache (see <see cref="OnlineCacheOptions"/>).</summary>
    public OnlineCacheOptions OnlineCache { get; set; } = new();

    /// <summary>Longest pause between attempts to reach the registry or the features service at start.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Deployment variants (route aliases: <c>champion</c>, <c>challenger</c>, <c>shadow</c>) this pod loads and answers
    /// for. Empty: every route of each deployment, side by side. Set it to run one pod per version; such a pod scores
    /// on the stream only the entities assigned to its variants, in a consumer group of its own (see
    /// <see cref="StreamingConsumerGroup"/>).
    /// </summary>
    public List<string> Variants { get; set; } = [];

    /// <summary>
    /// The streaming consumer group: <see cref="StreamingOptions.ConsumerGroup"/>, suffixed with the variant set when
    /// <see cref="Variants"/> is set. Pods of one group split partitions; pods of different variants must each see every
    /// partition (each scores its own share of entities), so each variant set needs a group of its own.
    /// </summary>
    public string StreamingConsumerGroup =>
        Variants.Count == 0 ? Streaming.ConsumerGroup : Streaming.ConsumerGroup + "-" + string.Join("-", Variants.Order(StringComparer.Ordinal));

    /// <summary>
    /// The one folder <c>POST /api/inference/model</c> may load artifacts from: its <c>path</c> is taken relative to this
    /// folder and refused when it leads outside (absolute paths, <c>..</c>, links). Null (as shipped): loading by path is
    /// off, and the pod loads only what the registry deploys and <see cref="LocalModels"/> names. At the gateway the
    /// route needs the <c>admin</c> role (docs/security.md).
    /// </summary>
    public string? ModelFilesDirectory { get; set; }

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

    /// <summary>
    /// Feature-set version the model was trained on, as its registry registration records it (a local artifact may
    /// configure it). Streaming scores the model only with vectors of this version; null: the shipped set's vectors.
    /// </summary>
    public string? FeatureSetVersion { get; init; }

    /// <summary>The deployment alias (e.g. <c>champion</c>) this version serves as; <c>local</c> for a local artifact.</summary>
    public string Variant { get; init; } = "local";
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

    /// <summary>
    /// Batches run at once (Triton's instance count): each runner takes the next batch from the shared queue while
    /// the others are in the model, so a model whose batch takes longer than the HTTP work around it can use more than
    /// one core. One (the default) runs batches one after another, the largest batches for the queue.
    /// </summary>
    public int Instances { get; set; } = 1;
}

/// <summary>Streaming scoring settings.</summary>
public sealed class StreamingOptions
{
    public bool Enabled { get; set; } = true;

    public string FeaturesTopic { get; set; } = Mlops.Contracts.Kafka.Topics.Features;

    public string PredictionsTopic { get; set; } = Mlops.Contracts.Kafka.Topics.Predictions;

    public string ConsumerGroup { get; set; } = "inference-streaming";

    /// <summary>
    /// Most feature vectors scored together (whatever one poll returned, up to this): their (vector, model) pairs share
    /// ONNX batches and their predictions one wait for the broker.
    /// </summary>
    public int MaxBatchSize { get; set; } = 256;
}
