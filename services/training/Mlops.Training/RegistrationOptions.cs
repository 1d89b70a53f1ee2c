namespace Mlops.Training;

/// <summary>How long a run waits for the registry to confirm or refuse its model version (section <c>Training:Registration</c>).</summary>
public sealed class RegistrationOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Training:Registration";

    /// <summary>A run still unanswered this long after its <c>RegisterModelVersion</c> was sent fails at Register.</summary>
    public TimeSpan ConfirmationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the sweeper looks for runs past their confirmation timeout.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Validates the bound values.</summary>
    public static bool IsValid(RegistrationOptions o) => o.ConfirmationTimeout > TimeSpan.Zero && o.SweepInterval > TimeSpan.Zero;
}
