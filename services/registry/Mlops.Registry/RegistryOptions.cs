namespace Mlops.Registry;

/// <summary>Registry settings (section <c>Registry</c>).</summary>
public sealed class RegistryOptions
{
    public const string SectionName = "Registry";

    /// <summary>Prefix of the command queues (<c>{prefix}-register-model-version</c>, …); tests use a unique one.</summary>
    public string EndpointPrefix { get; set; } = "registry";

    /// <summary>Delete the command queues when the last consumer leaves (test hosts).</summary>
    public bool TemporaryEndpoints { get; set; }

    /// <summary>Largest artifact accepted by the upload endpoint.</summary>
    public long MaxArtifactBytes { get; set; } = 512L * 1024 * 1024;
}
