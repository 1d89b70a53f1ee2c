using System.ComponentModel.DataAnnotations;

namespace Mlops.Gateway.Routing;

/// <summary>The variant router in front of the inference cluster (configuration section <c>Gateway:Variants</c>).</summary>
public sealed class VariantRoutingOptions
{
    public const string Section = "Gateway:Variants";

    /// <summary>
    /// The model the unnamed inference routes (<c>/api/inference/predict</c>, <c>/api/inference/entities/{id}/predict</c>)
    /// answer with; must equal the inference pods' <c>Inference:DefaultModel</c>.
    /// </summary>
    [Required]
    public string DefaultModel { get; set; } = "";

    /// <summary>The YARP cluster the inference routes forward to; only requests routed to it are assigned a variant.</summary>
    [Required]
    public string InferenceCluster { get; set; } = "";

    /// <summary>
    /// Variant (alias) → YARP cluster id, for one pod (cluster) per version. A variant without an entry stays on
    /// <see cref="InferenceCluster"/>, whose pods select the version by the <c>X-Model-Variant</c> header.
    /// </summary>
    public Dictionary<string, string> Clusters { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Largest request body read to find the entity id (and kept for a mirror); a larger body is answered 413.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Where <c>GET /api/registry/deployments</c> is read at start.</summary>
    [Required]
    public Uri? RegistryBaseAddress { get; set; }

    /// <summary>Longest pause between attempts to read the registry at start.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the registry's list is read again after start (catches events missed while the broker was unreachable).</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Queue of this gateway replica's deployment events. Every replica needs every event, so the default (empty) is a
    /// unique queue per process, deleted with it.
    /// </summary>
    public string? DeploymentsEndpoint { get; set; }
}
