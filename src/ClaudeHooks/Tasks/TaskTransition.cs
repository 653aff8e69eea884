using ClaudeHooks.Forge;

namespace ClaudeHooks.Tasks;

/// <summary>
/// One move of one task, applied only if the task is still in <see cref="From"/> (and, when <see cref="Holder"/> is
/// set, only if that worker still holds its lease). The forge writes it causes are recorded in the same
/// transaction, so a crash never leaves the move without its effects or the effects without the move.
/// </summary>
internal sealed record TaskTransition(string TaskId, TaskState From, TaskState To, string Reason)
{
    public string? OutcomeJson { get; init; }

    /// <summary>Only this lease holder may make the move (leaving <c>running</c>).</summary>
    public string? Holder { get; init; }

    /// <summary>Recovering a running task: only if its lease expired before this time (a renewal in between keeps it).</summary>
    public DateTimeOffset? LeaseExpiredBy { get; init; }

    /// <summary>Moving to <c>running</c>: who holds the lease, and until when.</summary>
    public (string Owner, DateTimeOffset Expires)? Lease { get; init; }

    /// <summary>Moving to <c>queued</c> for a retry: not claimed before this time.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    public IReadOnlyList<ForgeIntent> Intents { get; init; } = [];
}
