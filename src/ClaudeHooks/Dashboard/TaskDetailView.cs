namespace ClaudeHooks.Dashboard;

/// <summary>A task's page: what was asked, its history with reasons, its outcome, its forge side, and what may be done with it.</summary>
public sealed record TaskDetailView(
    string Id,
    string Agent,
    string Repo,
    string? BaseRef,
    string Thread,
    string Prompt,
    string State,
    int Attempt,
    string Performer,
    string? Image,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Timeout,
    bool CancelRequested,
    IReadOnlyList<HistoryRow> History,
    OutcomeView? Outcome,
    TaskForgeView? Forge,
    IReadOnlyList<ForgeWriteRow> ForgeWrites)
{
    /// <summary>The task's cost: the CLI's own total when the run reported one, else what the gateway counted (a failed or stopped task too).</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>What the gateway counted from the model's usage, priced by its table: what the daily caps are checked against.</summary>
    public decimal? MeteredCostUsd { get; init; }

    /// <summary>Why a queued task waits (a daily cap it reached, and when it frees), or null.</summary>
    public string? BudgetHold { get; init; }

    public bool Final => State is "succeeded" or "failed" or "cancelled" or "timed_out";

    public bool CanCancel => State is "queued" or "running" or "interrupted";

    /// <summary>Forge tasks are retried by the forge flow (re-assign, re-request the review), not as a bare task.</summary>
    public bool CanRetry => Final && Forge is null && Performer == "agent";
}

public sealed record HistoryRow(DateTimeOffset At, string? From, string To, string Reason);

public sealed record OutcomeView(
    string Status,
    string Reason,
    decimal? CostUsd,
    int Turns,
    long? InputTokens,
    long? OutputTokens,
    long? CacheReadTokens,
    long DurationMs,
    string? Branch,
    IReadOnlyList<CommitRow> Commits,
    string? SessionId,
    bool Resumed,
    string? FinalText);

public sealed record CommitRow(string Sha, string Subject);

/// <summary>The forge side of a task: the issue or pull request it serves, and the pull request it opened.</summary>
public sealed record TaskForgeView(string Repo, string Kind, long Number, string? NumberHref, long? Pull, string? PullHref, string WorkItemHref);

public sealed record ForgeWriteRow(string Kind, string State, int Attempts, string? LastError);
