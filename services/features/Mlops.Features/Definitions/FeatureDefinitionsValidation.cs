using Microsoft.Extensions.Options;

namespace Mlops.Features.Definitions;

/// <summary>Checks the configured (shipped) set at start-up with the rules a registered set must pass.</summary>
public sealed class FeatureDefinitionsValidation : IValidateOptions<FeatureDefinitions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, FeatureDefinitions options) =>
        FeatureSetRules.Check(options) is { Count: > 0 } problems
            ? ValidateOptionsResult.Fail(problems.Select(p => $"{FeatureDefinitions.SectionName}: {p.Field}: {p.Message}"))
            : ValidateOptionsResult.Success;
}
