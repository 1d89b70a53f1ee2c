namespace Mlops.Registry;

/// <summary>Registry settings (section <c>Registry</c>).</summary>
public sealed class RegistryOptions
{
    public const string SectionName = "Registry";

    /// <summary>Largest artifact accepted by the upload endpoint.</summary>
    public long MaxArtifactBytes { get; set; } = 512L * 1024 * 1024;
}
