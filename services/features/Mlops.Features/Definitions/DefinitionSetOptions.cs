namespace Mlops.Features.Definitions;

/// <summary>How definition sets registered at run time reach every replica, bound from <c>Features:DefinitionSets</c>.</summary>
public sealed class DefinitionSetOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Features:DefinitionSets";

    /// <summary>
    /// How long a replica trusts its copy of the registered sets before asking the database whether any changed (one
    /// cheap query; a registration on this replica is used here at once).
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);
}
