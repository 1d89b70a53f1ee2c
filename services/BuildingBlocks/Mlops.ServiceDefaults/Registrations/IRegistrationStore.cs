namespace Mlops.ServiceDefaults.Registrations;

/// <summary>Where a service keeps what was registered at run time, shared by every replica.</summary>
public interface IRegistrationStore<TRow>
{
    /// <summary>A value that changes with every registration, cheap to read.</summary>
    Task<long> StampAsync(CancellationToken cancellationToken);

    /// <summary>The current registration of every key.</summary>
    Task<IReadOnlyList<TRow>> LoadCurrentAsync(CancellationToken cancellationToken);
}
