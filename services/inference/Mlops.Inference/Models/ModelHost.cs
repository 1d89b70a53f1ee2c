using System.Security.Cryptography;
using Mlops.Inference.Telemetry;
using Mlops.Onnx.Ir;

namespace Mlops.Inference.Models;

/// <summary>
/// Holds the version of one named model that answers as one variant (champion, challenger or shadow). A new version is loaded and warmed beside the current one and only then
/// switched in, so there is never a gap without a model and never a request on a half-loaded one.
/// </summary>
public sealed class ModelHost(IServiceProvider services, ILogger<ModelHost> logger) : IDisposable
{
    readonly SemaphoreSlim _loadLock = new(1, 1);
    LoadedModel? _current;

    /// <summary>The registered model name this host serves.</summary>
    public string Name { get; init; } = "";

    /// <summary>
    /// The deployment alias whose route this host loads (<c>champion</c> also holds a local artifact until the registry
    /// deploys one); the loaded version's own <see cref="ModelDeployment.Variant"/> says what answered.
    /// </summary>
    public string Variant { get; init; } = Mlops.Contracts.Registry.ModelAliases.Champion;

    /// <summary>Where the host is: loading its first model, serving one, or answering with the fallback rule.</summary>
    public ModelHostState State { get; private set; } = ModelHostState.Starting;

    /// <summary>Why the last load failed, if it did.</summary>
    public string? LastError { get; private set; }

    /// <summary>The model now answering, if any.</summary>
    public ModelDeployment? Current => Volatile.Read(ref _current)?.Deployment;

    /// <summary>Leases the current model; null when none is loaded (the caller uses the fallback).</summary>
    public LoadedModel? Lease()
    {
        while (true)
        {
            var model = Volatile.Read(ref _current);
            if (model is null)
            {
                return null;
            }

            if (model.TryAcquire())
            {
                return model;
            }

            // Retired between the read and the lease: the replacement is already published, read again.
        }
    }

    /// <summary>
    /// Verifies the artifact's SHA-256, creates and warms a session, then switches to it. On failure the current
    /// model (if any) keeps answering.
    /// </summary>
    public async Task LoadAsync(ModelDeployment deployment, CancellationToken cancellationToken)
    {
        await _loadLock.WaitAsync(cancellationToken);
        try
        {
            var loaded = await CreateAsync(deployment, cancellationToken);
            var previous = Interlocked.Exchange(ref _current, loaded);
            previous?.Retire();
            State = ModelHostState.Serving;
            LastError = null;
            InferenceTelemetry.ModelLoads.Add(1, new KeyValuePair<string, object?>("outcome", "loaded"));
            logger.LogInformation("Serving model {Model} {Version} on {Provider}", deployment.Name, deployment.Version, loaded.ExecutionProvider);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LastError = ex.Message;
            if (Volatile.Read(ref _current) is null)
            {
                State = ModelHostState.Fallback;
            }

            InferenceTelemetry.ModelLoads.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            logger.LogError(ex, "Model {Model} {Version} could not be loaded", deployment.Name, deployment.Version);
            throw;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    /// <summary>Records an artifact refused before loading (e.g. a bad hash); the current model keeps answering.</summary>
    public void RecordRefusal(string reason) => LastError = reason;

    /// <summary>Records that no model could be configured, so the fallback answers.</summary>
    public void MarkNoModel(string reason)
    {
        if (Volatile.Read(ref _current) is null)
        {
            State = ModelHostState.Fallback;
            LastError = reason;
        }
    }

    /// <summary>Stops serving (the variant left the deployment); requests in flight finish on the retired model.</summary>
    public async Task UnloadAsync(string reason, CancellationToken cancellationToken)
    {
        await _loadLock.WaitAsync(cancellationToken);
        try
        {
            Interlocked.Exchange(ref _current, null)?.Retire();
            State = ModelHostState.Fallback;
            LastError = reason;
        }
        finally
        {
            _loadLock.Release();
        }

        InferenceTelemetry.ModelLoads.Add(1, new KeyValuePair<string, object?>("outcome", "unloaded"));
        logger.LogInformation("Model {Model} variant {Variant} unloaded: {Reason}", Name, Variant, reason);
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _current, null)?.Retire();
        _loadLock.Dispose();
    }

    async Task<LoadedModel> CreateAsync(ModelDeployment deployment, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(deployment.Path, cancellationToken);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, deployment.Sha256.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"Artifact {deployment.Path} has SHA-256 {actual}, expected {deployment.Sha256}; refusing to load it.");
        }

        var (session, provider) = services.GetRequiredService<OnnxSessionFactory>().Create(bytes);
        try
        {
            // ORT accepted the bytes, so they parse as a model; only the tree ensemble's attributes are read here.
            var trees = TreeEnsembleAttribution.TryCreate(ModelProto.Parser.ParseFrom(bytes));
            var model = new LoadedModel(deployment, session, provider, trees);

            // One run allocates the session's buffers and kernels, so the first real request is not the slow one.
            var row = new float[deployment.Features.Count];
            Span<double> probability = stackalloc double[1];
            Span<double> uncertainty = stackalloc double[1];
            model.Score(row, 1, probability, uncertainty);
            return model;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }
}

/// <summary>States of the <see cref="ModelHost"/>.</summary>
public enum ModelHostState
{
    Starting,
    Serving,
    Fallback,
}
