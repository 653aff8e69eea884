using ClaudeHooks.Tasks;

namespace ClaudeHooks.Agents;

/// <summary>What one run came to: how it ended and why, and the figures Claude Code reported.</summary>
internal sealed record RunOutcome(
    TaskState Status,
    string Reason,
    string? SessionId,
    bool Resumed,
    int Turns,
    decimal? CostUsd,
    long DurationMs,
    string? UsageJson,
    string? ModelUsageJson,
    string? FinalText,
    string? Worktree,
    string? Branch,
    long? ExitCode,
    int LeftoverProcesses,
    IReadOnlyList<PushedCommit>? PushedCommits = null);

internal sealed record PushedCommit(string Sha, string Subject);
