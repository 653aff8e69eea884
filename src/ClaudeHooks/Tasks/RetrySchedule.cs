namespace ClaudeHooks.Tasks;

/// <summary>When a retried task may run again: exponential backoff from <see cref="First"/>, capped at <see cref="Longest"/>, with ±25% jitter so retries of many tasks do not arrive together.</summary>
internal static class RetrySchedule
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan Longest = TimeSpan.FromMinutes(10);

    /// <summary>The delay after the <paramref name="failedAttempt"/>-th attempt failed (1-based).</summary>
    public static TimeSpan Delay(int failedAttempt, Random? random = null)
    {
        var exponent = Math.Clamp(failedAttempt - 1, 0, 20);
        var nominal = Math.Min(First.TotalSeconds * Math.Pow(2, exponent), Longest.TotalSeconds);
        var jitter = 0.75 + ((random ?? Random.Shared).NextDouble() * 0.5);
        return TimeSpan.FromSeconds(Math.Round(nominal * jitter, 1));
    }
}
