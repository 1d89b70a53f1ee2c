using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mlops.ServiceDefaults.Registrations;

/// <summary>
/// What was registered at run time on any replica, held as an immutable view so reads on hot paths take no lock. The
/// store is asked at most once per refresh interval whether anything changed (its stamp), and the view is rebuilt only
/// when it did; a registration made on this replica is put in use at once. A database that does not answer leaves the
/// current view in use: the caller's own path reports the outage and is retried.
/// </summary>
public sealed class RegistrationCache<TRow, TView>
    where TView : class, IRegistrationView<TRow>
{
    readonly IRegistrationStore<TRow>? _store;
    readonly Func<Dictionary<string, TRow>, TView> _build;
    readonly Func<TRow, string> _keyOf;
    readonly Func<TRow, long> _versionOf;
    readonly TimeSpan _refreshInterval;
    readonly TimeProvider _clock;
    readonly ILogger? _logger;
    readonly string _what;
    readonly SemaphoreSlim _lock = new(1, 1);
    volatile State _state;

    /// <summary>
    /// A cache of nothing registered yet (with no <paramref name="store"/>, it changes only by apply). <paramref name="build"/>
    /// makes the view from the registrations by key and may leave out rows it will not use; <paramref name="versionOf"/>
    /// orders one key's registrations, so a late apply never replaces a newer one; <paramref name="what"/> names them in
    /// the warning an unreachable database gives.
    /// </summary>
    public RegistrationCache(
        IRegistrationStore<TRow>? store, Func<Dictionary<string, TRow>, TView> build, Func<TRow, string> keyOf, Func<TRow, long> versionOf,
        TimeSpan refreshInterval, TimeProvider clock, ILogger? logger, string what)
    {
        _store = store;
        _build = build;
        _keyOf = keyOf;
        _versionOf = versionOf;
        _refreshInterval = refreshInterval;
        _clock = clock;
        _logger = logger;
        _what = what;
        _state = new State(build(new Dictionary<string, TRow>(StringComparer.Ordinal)), -1, DateTimeOffset.MinValue);
    }

    /// <summary>The view in use now.</summary>
    public TView View => _state.View;

    /// <summary>Picks up registrations made on any replica, at most once per refresh interval.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_store is null || _clock.GetUtcNow() - _state.CheckedAt < _refreshInterval)
        {
            return;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            var state = _state;
            var now = _clock.GetUtcNow();
            if (now - state.CheckedAt < _refreshInterval)
            {
                return;
            }

            var stamp = await _store.StampAsync(cancellationToken);
            _state = stamp == state.Stamp
                ? state with { CheckedAt = now }
                : new State(_build((await _store.LoadCurrentAsync(cancellationToken)).ToDictionary(_keyOf, StringComparer.Ordinal)), stamp, now);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            _logger?.LogWarning(ex, "Could not refresh the registered {What}; keeping the current ones", _what);
            _state = _state with { CheckedAt = _clock.GetUtcNow() };
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Puts a registration just made on this replica in use at once, unless a newer one of its key already is.</summary>
    public async Task ApplyAsync(TRow registered, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var state = _state;
            var key = _keyOf(registered);
            if (state.View.Registered.TryGetValue(key, out var seen) && _versionOf(seen) >= _versionOf(registered))
            {
                return;
            }

            var current = new Dictionary<string, TRow>(state.View.Registered, StringComparer.Ordinal) { [key] = registered };
            // The stamp is kept, so the next refresh still reloads and settles any registration racing this one.
            _state = state with { View = _build(current) };
        }
        finally
        {
            _lock.Release();
        }
    }

    sealed record State(TView View, long Stamp, DateTimeOffset CheckedAt);
}
