using ClaudeHooks.Tasks;

namespace ClaudeHooks.Agents;

/// <summary>
/// What one run came to: how it ended and why, and the figures Claude Code reported. <c>LeftoverProcesses</c> is
/// what still ran after the task's sandbox was removed (0 once the engine no longer has it);
/// <c>KilledProcesses</c> is what the task left running at its end, which went with the sandbox.
/// </summary>
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
    IReadOnlyList<PushedCommit>? PushedCommits = null,
    int KilledProcesses = 0);

internal sealed record PushedCommit(string Sha, string Subject);
