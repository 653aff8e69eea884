namespace ClaudeHooks.Tasks;

/// <summary>A move the transition table does not hold: a bug in the caller, never a race (races are refused by the state guard).</summary>
internal sealed class IllegalTransitionException(TaskState from, TaskState to)
    : InvalidOperationException($"a task cannot move from {from.ToName()} to {to.ToName()}; allowed from {from.ToName()}: {(TaskTransitions.From(from) is { Count: > 0 } next ? string.Join(", ", next.Select(s => s.ToName())) : "nothing (it has ended)")}")
{
    public TaskState From { get; } = from;

    public TaskState To { get; } = to;
}
