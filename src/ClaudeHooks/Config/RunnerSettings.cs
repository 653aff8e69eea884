namespace ClaudeHooks.Config;

/// <summary>How one agent's Claude Code runs are started and watched.</summary>
internal sealed record RunnerSettings(
    TimeSpan Timeout,
    TimeSpan IdleTimeout,
    int MaxTurns,
    decimal? MaxBudgetUsd,
    string PermissionMode,
    IReadOnlyList<string> AllowedTools,
    IReadOnlyList<string> DisallowedTools,
    string? Model,
    string PromptFile,
    string LocalCli = RunnerSettings.DefaultLocalCli)
{
    public static readonly string[] PermissionModes = ["default", "acceptEdits", "plan", "bypassPermissions", "dontAsk", "auto"];

    /// <summary>The CLI a local agent (<c>container.runtime: "local"</c>) runs when <c>local_cli</c> is not set: <c>claude</c> on the service's PATH.</summary>
    public const string DefaultLocalCli = "claude";
}

/// <summary>Where agents' repositories come from and how long an unused repository cache is kept.</summary>
internal sealed record WorkdirSettings(bool AllowLocalRepos, TimeSpan StaleAfter)
{
    public static WorkdirSettings Default { get; } = new(AllowLocalRepos: false, StaleAfter: TimeSpan.FromDays(7));
}
