using Mlops.Features.Definitions;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Features.Api;

/// <summary>
/// Which definition set a read, training set or backfill uses: by name (the set in use under it), by exact version
/// (any registered version, so a model's training set can be rebuilt with the set it recorded), or the shipped set.
/// </summary>
internal static class FeatureSetSelection
{
    /// <summary>The outcome: a set, or 400 problems by field, or a 404 detail.</summary>
    public sealed record Selection(FeatureDefinitions? Set, Dictionary<string, string[]> Problems, string? NotFound);

    /// <summary>Resolves <paramref name="name"/> (field <paramref name="nameField"/>) and/or <paramref name="version"/>.</summary>
    public static async Task<Selection> ResolveAsync(
        FeatureSetCatalog catalog, string nameField, string? name, string? version, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (name is not null && FeatureSetRules.NameProblem(name, nameField) is { } nameProblem)
        {
            problems[nameField] = [nameProblem];
        }

        if (version is not null && (string.IsNullOrWhiteSpace(version) ? "featureSetVersion must not be empty" : InputText.IdentifierProblem("featureSetVersion", version)) is { } versionProblem)
        {
            problems["featureSetVersion"] = [versionProblem];
        }

        if (problems.Count > 0)
        {
            return new Selection(null, problems, null);
        }

        await catalog.RefreshAsync(cancellationToken);
        if (version is not null)
        {
            var exact = await catalog.FindVersionAsync(version, cancellationToken);
            if (exact is null)
            {
                return new Selection(null, problems, $"no feature definition set version '{version}'");
            }

            if (name is not null && exact.Name != name)
            {
                problems["featureSetVersion"] = [$"version '{version}' belongs to set '{exact.Name}', not to {nameField} '{name}'"];
                return new Selection(null, problems, null);
            }

            return new Selection(exact, problems, null);
        }

        return catalog.Find(name) is { } set
            ? new Selection(set, problems, null)
            : new Selection(null, problems, $"no feature definition set named '{name}'");
    }
}
