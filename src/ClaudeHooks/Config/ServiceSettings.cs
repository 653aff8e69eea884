namespace ClaudeHooks.Config;

/// <summary>The service's queue, drain and API limits (top-level <c>"service"</c> in agents.json).</summary>
internal sealed record ServiceSettings(
    TimeSpan Lease,
    TimeSpan DrainTimeout,
    int MaxAttempts,
    int MaxPromptBytes,
    IReadOnlyList<string> AllowedHosts)
{
    public static ServiceSettings Default { get; } = new(
        Lease: TimeSpan.FromSeconds(60),
        DrainTimeout: TimeSpan.FromSeconds(240),
        MaxAttempts: 3,
        MaxPromptBytes: 256 * 1024,
        AllowedHosts: []);

    /// <summary>How long the egress log keeps a record (<c>service.egress_retention</c>); purged hourly.</summary>
    public TimeSpan EgressRetention { get; init; } = TimeSpan.FromDays(14);
}
