namespace Mlops.ServiceDefaults.Registrations;

/// <summary>A view built from registrations: the ones it put in use, by key.</summary>
public interface IRegistrationView<TRow>
{
    /// <summary>The registrations in use, by key.</summary>
    IReadOnlyDictionary<string, TRow> Registered { get; }
}
