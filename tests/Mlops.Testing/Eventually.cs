namespace Mlops.Testing;

/// <summary>
/// Waits for a condition that real brokers make true asynchronously. The timeout is a safety net against
/// hanging, generous on purpose: assertions are on outcomes, never on how fast they came.
/// </summary>
public static class Eventually
{
    /// <summary>Default upper bound for one wait.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> on timeout.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Synchronous-condition overload.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);
}
