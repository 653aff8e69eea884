namespace ClaudeHooks.Agents;

/// <summary>
/// What one run came to: how it ended and why, and the figures Claude Code reported. <c>LeftoverProcesses</c> is
/// what still ran after the task's sandbox was removed (0 once the engine no longer has it);
/// <c>KilledProcesses</c> is what the task left running at its end, which went with the sandbox.
/// <c>SecretsRedacted</c> names the kinds of credential replaced by a marker in anything the task wrote out;
/// <c>EventsTruncated</c> says what was not stored once the task's events reached <c>service.max_task_event_bytes</c>.
/// <c>Transient</c> says that the same task may well succeed if tried again (the engine or the forge was briefly
/// unavailable); the state machine then retries it, within <c>service.max_attempts</c>.
/// </summary>
internal sealed record RunOutcome(
    RunStatus Status,
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
    int KilledProcesses = 0,
    IReadOnlyList<string>? SecretsRedacted = null,
    EventsTruncation? EventsTruncated = null,
    bool Transient = false)
{
    /// <summary>The outcome with <paramref name="redact"/> applied to every text in it that a run can put words into.</summary>
    public RunOutcome Redact(Func<string, string> redact) => this with
    {
        Reason = redact(Reason),
        SessionId = SessionId is null ? null : redact(SessionId),
        UsageJson = UsageJson is null ? null : redact(UsageJson),
        ModelUsageJson = ModelUsageJson is null ? null : redact(ModelUsageJson),
        FinalText = FinalText is null ? null : redact(FinalText),
        PushedCommits = PushedCommits?.Select(c => c with { Subject = redact(c.Subject) }).ToList(),
    };
}

internal sealed record PushedCommit(string Sha, string Subject);

/// <summary>How many events, and how many bytes of them, a task's sandbox printed beyond its cap.</summary>
internal sealed record EventsTruncation(long DroppedEvents, long DroppedBytes);
