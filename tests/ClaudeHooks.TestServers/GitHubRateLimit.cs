namespace ClaudeHooks.TestServers;

/// <summary>How <see cref="FakeGitHub"/> refuses a rate-limited call, each as GitHub's REST API does.</summary>
public enum GitHubRateLimit
{
    /// <summary>The primary limit: 403 with <c>x-ratelimit-remaining: 0</c> and <c>x-ratelimit-reset</c> (epoch seconds).</summary>
    Primary,

    /// <summary>A secondary limit: 403 with <c>Retry-After</c> (seconds).</summary>
    SecondaryForbidden,

    /// <summary>A secondary limit: 429 with <c>Retry-After</c> (seconds).</summary>
    TooManyRequests,
}
