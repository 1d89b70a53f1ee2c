using Microsoft.Extensions.Options;

namespace Mlops.Monitoring;

/// <summary>
/// <c>Validate</c> whose failure message is the problem the options report themselves: the fixed message of the
/// built-in overloads cannot say which model or setting is wrong, and with many per-model entries that is the question.
/// </summary>
internal static class OptionsProblems
{
    /// <summary>Fails validation with <paramref name="problem"/>'s text when it returns one.</summary>
    public static OptionsBuilder<T> ValidateProblem<T>(this OptionsBuilder<T> builder, Func<T, string?> problem)
        where T : class
    {
        builder.Services.AddSingleton<IValidateOptions<T>>(new Validation<T>(builder.Name, problem));
        return builder;
    }

    sealed class Validation<T>(string? name, Func<T, string?> problem) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? optionsName, T options) =>
            name is not null && name != optionsName ? ValidateOptionsResult.Skip
            : problem(options) is { } text ? ValidateOptionsResult.Fail(text)
            : ValidateOptionsResult.Success;
    }
}
