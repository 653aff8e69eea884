namespace ClaudeHooks.Forge;

/// <summary>How long the forge's HTTP client waits and how often it tries again; the defaults are the service's.</summary>
internal sealed record ForgeHttpOptions
{
    public static ForgeHttpOptions Default { get; } = new();

    /// <summary>Retries after the first attempt (reads; a write only when the forge provably did nothing).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The first backoff; it doubles with each retry, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// One request's limit. Forgejo merges synchronously, so a large merge can take a while; one slower than this
    /// is reported as possibly applied and read back rather than waited for.
    /// </summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest <c>Retry-After</c> waited for; a longer one fails the call with the time to come back.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Every attempt and every wait between them, plus slack: a backstop that the limits above never reach.</summary>
    public TimeSpan TotalTimeout => ((MaxRetries + 1) * AttemptTimeout) + (MaxRetries * MaxRetryAfter) + TimeSpan.FromSeconds(30);
}
