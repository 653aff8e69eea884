namespace ClaudeHooks.Config;

/// <summary>The service's queue, drain, API and output limits (top-level <c>"service"</c> in agents.json).</summary>
internal sealed record ServiceSettings(
    TimeSpan Lease,
    TimeSpan DrainTimeout,
    int MaxAttempts,
    int MaxPromptBytes,
    IReadOnlyList<string> AllowedHosts)
{
    public static ServiceSettings Default { get; } = new(
        Lease: TimeSpan.FromSeconds(60),
        DrainTimeout: TimeSpan.FromSeconds(180),
        MaxAttempts: 3,
        MaxPromptBytes: 256 * 1024,
        AllowedHosts: []);

    public const long DefaultMaxTaskEventBytes = 32L << 20;
    public const long MinTaskEventBytes = 64L << 10;
    public const long MaxTaskEventBytesLimit = 1L << 30;

    /// <summary>What one task's stored events may take (<c>service.max_task_event_bytes</c>), however much its sandbox prints.</summary>
    public long MaxTaskEventBytes { get; init; } = DefaultMaxTaskEventBytes;

    /// <summary>How long the egress log keeps a record (<c>service.egress_retention</c>); purged hourly.</summary>
    public TimeSpan EgressRetention { get; init; } = TimeSpan.FromDays(14);

    /// <summary>
    /// How long a task that ended keeps its events and its webhook delivery's body (<c>service.event_retention</c>);
    /// the task, its history and outcome stay. Purged hourly.
    /// </summary>
    public TimeSpan EventRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>How long a dashboard sign-in lasts (<c>service.session_ttl</c>); signing out ends it sooner.</summary>
    public TimeSpan SessionTtl { get; init; } = TimeSpan.FromHours(12);

    /// <summary>How long a tracking comment's read-only link opens its task (<c>service.link_ttl</c>).</summary>
    public TimeSpan LinkTtl { get; init; } = TimeSpan.FromDays(14);

    public const long DefaultMinFreeDisk = 1L << 30;

    /// <summary>
    /// The free space the data directory must keep (<c>service.min_free_disk</c>): below it new tasks are refused
    /// and readiness fails, so SQLite never meets a full disk in the middle of a write.
    /// </summary>
    public long MinFreeDisk { get; init; } = DefaultMinFreeDisk;
    /// <summary>The console log's format (<c>service.log_format</c>); null picks systemd's under systemd, else simple.</summary>
    public Security.LogFormat? LogFormat { get; init; }

    /// <summary>Where metrics are pushed over OTLP/HTTP as well (<c>service.otlp_endpoint</c>); null pushes nowhere.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>Lets loopback callers read <c>/metrics</c> without the API token (<c>service.metrics_open_to_loopback</c>).</summary>
    public bool MetricsOpenToLoopback { get; init; }
}
